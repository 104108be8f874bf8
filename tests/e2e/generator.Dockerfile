# The project's image plus one setting: generators in the kind suite publish to the Pub/Sub
# emulator running in the cluster (google-cloud-pubsub honours PUBSUB_EMULATOR_HOST).
# The chart deploys this as the generator image (tests/e2e/values-kind.yaml); the operator
# still runs the unchanged project image. Built by tests/e2e/run.sh.
ARG BASE=eventgen:0.1.0
FROM ${BASE}
ENV PUBSUB_EMULATOR_HOST=pubsub-emulator.pubsub-emulator.svc.cluster.local:8085
