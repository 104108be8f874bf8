# syntax=docker/dockerfile:1
# One image for both commands of the ecommerce-platform distribution:
#   eventgen            the event generator (streaming to Pub/Sub, batch JSONL to Cloud Storage)
#   eventgen-operator   the kopf operator that runs generators for EventGenerator resources
# The Helm chart selects the command per container; the default command prints the generator's help.
#
# Build:  docker build -t eventgen:0.1.0 .
# Both stages use the same base, so the venv's interpreter path (/usr/local/bin/python3.11)
# exists in the final stage. Pinned by exact patch tag; bump it deliberately.

ARG PYTHON_IMAGE=python:3.11.14-slim-bookworm

FROM ${PYTHON_IMAGE} AS build
ENV PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1 \
    PIP_ROOT_USER_ACTION=ignore
WORKDIR /src
# Only what the wheel is built from; .dockerignore keeps the rest of the checkout out.
COPY pyproject.toml README.md ./
COPY generator/ generator/
COPY operator/ operator/
# The project's wheel alone, then the wheel and its dependencies (binary wheels) into a venv
# without pip, so the final stage carries no installer and no build tools.
RUN python -m pip wheel --no-deps --wheel-dir /wheels . \
 && python -m venv --without-pip /opt/venv \
 && python -m pip --python /opt/venv/bin/python install --only-binary=:all: /wheels/*.whl

FROM ${PYTHON_IMAGE} AS runtime
ARG VERSION=0.1.0
LABEL org.opencontainers.image.title="eventgen" \
      org.opencontainers.image.description="Realistic e-commerce events to Pub/Sub or JSONL on Cloud Storage; the eventgen-operator for EventGenerator resources" \
      org.opencontainers.image.version="${VERSION}" \
      org.opencontainers.image.licenses="Apache-2.0" \
      org.opencontainers.image.vendor="ecommerce data platform" \
      org.opencontainers.image.base.name="docker.io/library/python:3.11.14-slim-bookworm"
COPY --from=build /opt/venv /opt/venv
# HOME=/tmp: the numeric user has no home folder, and client libraries may look for one.
ENV PATH=/opt/venv/bin:$PATH \
    PYTHONUNBUFFERED=1 \
    PYTHONDONTWRITEBYTECODE=1 \
    HOME=/tmp
USER 10001:10001
# Prometheus /metrics and /healthz (EVENTGEN_METRICS_PORT).
EXPOSE 9102
# No ENTRYPOINT: a pod's `command` (or `args`) names the program, eventgen or eventgen-operator.
CMD ["eventgen", "--help"]
