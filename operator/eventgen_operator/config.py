"""The operator's own settings: what every generator pod gets unless its spec says otherwise."""

from __future__ import annotations

import json
import os
from collections.abc import Mapping
from dataclasses import dataclass

from eventgen_operator.kube_rules import resources_problems

DEFAULT_GENERATOR_IMAGE = "ghcr.io/ecommerce-platform/eventgen:0.1.0"

Resources = Mapping[str, Mapping[str, str]]
"""Container resources as the pod spec holds them: {"requests"|"limits": {name: quantity}}."""

DEFAULT_GENERATOR_RESOURCES: Resources = {
    "requests": {"cpu": "250m", "memory": "160Mi"},
    "limits": {"cpu": "1", "memory": "256Mi"},
}
"""A generator container's requests and limits when neither its spec nor the chart sets
them, for the sinks that hold little (pubsub, stdout). From the sizing bench
(bench/generator_pod.py, docs/operator.md#sizing): one process sustained ~95,000 events/s
per core against the local Pub/Sub server, steady ~130 MB and peak ~140-160 MB at
50,000/s. The CPU request covers a pod at the default maxRatePerReplica (20,000/s: ~0.21
cores); the limit is one core (generation is one thread). The memory request is the steady
figure with headroom, the limit the peak plus 64 MB, the most the Pub/Sub sink may hold
more while the service is slow (16 MB of payload, ~40 MB resident: bench pubsub_memory)."""

DEFAULT_PARTS_GENERATOR_RESOURCES: Resources = {
    "requests": {"cpu": "250m", "memory": "256Mi"},
    "limits": {"cpu": "1", "memory": "384Mi"},
}
"""The same for the sinks that assemble parts of up to 64 MiB in memory (gcs, jsonl-local):
~200 MB peak measured for a batch and a 50,000/s stream to the storage emulator (a part,
its copy for the upload); the limit adds one more part's worth."""


def default_resources(sink_type: str) -> Resources:
    """The built-in defaults for a sink type (see above)."""
    if sink_type in ("gcs", "jsonl-local"):
        return DEFAULT_PARTS_GENERATOR_RESOURCES
    return DEFAULT_GENERATOR_RESOURCES


@dataclass(frozen=True)
class OperatorConfig:
    """Defaults for generator pods.

    generator_image: image when the spec names none.
    generator_service_account: ServiceAccount when the spec names none (None: the
        namespace's default account).
    gcp_project: Pub/Sub project when the spec's sink names none.
    metrics_port: the container port of the generator's /metrics and /healthz.
    generator_resources: the container's requests and limits when the spec has no
        `resources` (the spec's, when given, replace them whole); None: the built-in
        defaults by sink (:func:`default_resources`); empty: none.
    """

    generator_image: str = DEFAULT_GENERATOR_IMAGE
    generator_service_account: str | None = None
    gcp_project: str | None = None
    metrics_port: int = 9102
    generator_resources: Resources | None = None

    @classmethod
    def from_env(cls, env: Mapping[str, str] | None = None) -> OperatorConfig:
        """Read EVENTGEN_OPERATOR_GENERATOR_IMAGE, EVENTGEN_OPERATOR_GENERATOR_SERVICE_ACCOUNT,
        EVENTGEN_OPERATOR_GCP_PROJECT and EVENTGEN_OPERATOR_GENERATOR_RESOURCES (JSON, as the
        Helm chart sets them); empty means unset. ValueError (one line) for bad resources."""
        source = os.environ if env is None else env
        resources = source.get("EVENTGEN_OPERATOR_GENERATOR_RESOURCES")
        return cls(
            generator_resources=parse_resources(resources) if resources else None,
            generator_image=source.get("EVENTGEN_OPERATOR_GENERATOR_IMAGE")
            or DEFAULT_GENERATOR_IMAGE,
            generator_service_account=source.get("EVENTGEN_OPERATOR_GENERATOR_SERVICE_ACCOUNT")
            or None,
            gcp_project=source.get("EVENTGEN_OPERATOR_GCP_PROJECT") or None,
        )


def parse_resources(text: str) -> Resources:
    """EVENTGEN_OPERATOR_GENERATOR_RESOURCES: JSON `{"requests": {...}, "limits": {...}}`,
    each quantity as Kubernetes accepts it; `{}` for none. ValueError names what is wrong."""
    name = "EVENTGEN_OPERATOR_GENERATOR_RESOURCES"
    try:
        document = json.loads(text)
    except json.JSONDecodeError as error:
        raise ValueError(f"{name}: not JSON ({error.msg})") from None
    if not isinstance(document, dict) or set(document) - {"requests", "limits"}:
        raise ValueError(f"{name}: must be an object with only requests and limits")
    parsed: dict[str, dict[str, str]] = {}
    for kind, values in document.items():
        if values is None:
            continue
        if not isinstance(values, dict) or not all(
            isinstance(value, str | int) and not isinstance(value, bool)
            for value in values.values()
        ):
            raise ValueError(f"{name}: {kind} must map resource names to quantities")
        if values:
            parsed[kind] = {key: str(value) for key, value in values.items()}
    problems = resources_problems(parsed.get("requests"), parsed.get("limits"))
    if problems:
        detail = "; ".join(problems).replace("spec.resources", "resources")
        raise ValueError(f"{name}: {detail}")
    return parsed
