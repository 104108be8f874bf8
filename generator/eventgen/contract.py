"""The operator -> generator contract: the environment a generator pod gets, in one table.

The operator (``eventgen_operator.children``) configures generator pods only through
environment variables and the live ConfigMap; the generator reads them through its own
flag machinery, where every long flag ``--foo-bar`` also reads ``EVENTGEN_FOO_BAR``
(:func:`env_name`, the one naming rule, used by :mod:`eventgen.cli.environment`). So a
variable's name is derived from its flag and cannot drift from what the parser reads; this
table says which of them the operator sets, for which command, and what they mean, and
``tests/generator/test_operator_contract.py`` feeds the operator's built pods through the
generator's parser to prove both sides agree. docs/CONTRACTS.md ("Operator -> generator
pod") is the prose of the same table.
"""

from __future__ import annotations

from dataclasses import dataclass

ENV_PREFIX = "EVENTGEN_"


def env_name(flag: str) -> str:
    """``--foo-bar`` -> ``EVENTGEN_FOO_BAR``: the variable a long flag also reads."""
    return ENV_PREFIX + flag.lstrip("-").replace("-", "_").upper()


STREAM = ("stream",)
BATCH = ("batch",)
BOTH = ("stream", "batch")


@dataclass(frozen=True)
class Variable:
    """One ``EVENTGEN_*`` variable of a generator pod: the flag it feeds, and why."""

    flag: str
    commands: tuple[str, ...]
    meaning: str

    @property
    def name(self) -> str:
        """The environment variable (derived from the flag)."""
        return env_name(self.flag)


GENERATOR_ID = Variable(
    "--generator-id", STREAM, "the pod's name (downward API); a run id is appended per run"
)
NAME = Variable("--name", BOTH, "the EventGenerator's name; a batch shard's id derives from it")
SEED = Variable("--seed", BOTH, "spec.seed, else one derived from the EventGenerator's uid")
SINK = Variable("--sink", BOTH, "pubsub, gcs, jsonl or stdout, from spec.sink.type")
PUBSUB_PROJECT = Variable(
    "--pubsub-project", BOTH, "spec.sink.pubsub.project, else the operator's GCP project"
)
PUBSUB_TOPIC = Variable("--pubsub-topic", BOTH, "spec.sink.pubsub.topic")
ORDERING_KEY = Variable(
    "--ordering-key", BOTH, "order_id when spec.sink.pubsub.orderingByOrderId is true"
)
GCS_BUCKET = Variable("--gcs-bucket", BOTH, "spec.sink.gcs.bucket")
GCS_PREFIX = Variable("--gcs-prefix", BOTH, "spec.sink.gcs.prefix")
OUTPUT = Variable("--output", BOTH, "spec.sink.jsonlLocal.path, a folder of JSONL parts")
RATE = Variable(
    "--rate", STREAM, "the starting rate per replica (configMapKeyRef to the live ConfigMap)"
)
RATE_CONFIGMAP = Variable(
    "--rate-configmap", STREAM, "the live ConfigMap (NAME; namespace from POD_NAMESPACE)"
)
METRICS_PORT = Variable("--metrics-port", BOTH, "the container's metrics port, always given")
FLUSH_TIMEOUT = Variable(
    "--flush-timeout", BOTH, "the longest final flush; the pod's grace period outlasts it"
)
LOCALE = Variable("--locale", BOTH, "spec.events.locale")
CANCEL_RATE = Variable("--cancel-rate", BOTH, "spec.events.cancelRate, when set")
REFUND_RATE = Variable("--refund-rate", BOTH, "spec.events.refundRate, when set")
DUPLICATE_RATE = Variable("--duplicate-rate", BOTH, "spec.faults.duplicateRate, when set")
LATE_RATE = Variable("--late-rate", BOTH, "spec.faults.lateRate, when set")
MAX_LATENESS_SECONDS = Variable(
    "--max-lateness-seconds", BOTH, "spec.faults.maxLatenessSeconds, when set"
)
MALFORMED_RATE = Variable("--malformed-rate", BOTH, "spec.faults.malformedRate, when set")
EVENTS = Variable("--events", BATCH, "spec.batch.events: the total over all shards")
SHARD_COUNT = Variable("--shard-count", BATCH, "spec.batch.shards: the Job's completions")
SHARD_INDEX = Variable(
    "--shard-index", BATCH, "the pod's completion index (downward API, annotation)"
)
DAILY_PROFILE = Variable(
    "--daily-profile", BATCH, "false when spec.batch.dailyProfile is false (else unset)"
)
INTERRUPTED_EXIT_CODE = Variable(
    "--interrupted-exit-code",
    BATCH,
    "non-zero, so a shard stopped by a signal is retried by the Job, not counted done",
)

VARIABLES: tuple[Variable, ...] = (
    GENERATOR_ID,
    NAME,
    SEED,
    SINK,
    PUBSUB_PROJECT,
    PUBSUB_TOPIC,
    ORDERING_KEY,
    GCS_BUCKET,
    GCS_PREFIX,
    OUTPUT,
    RATE,
    RATE_CONFIGMAP,
    METRICS_PORT,
    FLUSH_TIMEOUT,
    LOCALE,
    CANCEL_RATE,
    REFUND_RATE,
    DUPLICATE_RATE,
    LATE_RATE,
    MAX_LATENESS_SECONDS,
    MALFORMED_RATE,
    EVENTS,
    SHARD_COUNT,
    SHARD_INDEX,
    DAILY_PROFILE,
    INTERRUPTED_EXIT_CODE,
)
"""Every ``EVENTGEN_*`` variable the operator sets on a generator pod."""

POD_NAMESPACE = "POD_NAMESPACE"
"""The pod's namespace (downward API): where a bare ``--rate-configmap NAME`` is looked up."""

LIVE_RATE_KEY = "ratePerReplica"
"""The live ConfigMap's key holding the rate in events per second for each replica."""

LIVE_SHAPE_KEY = "shape"
"""The live ConfigMap's key holding a shaped stream's shape document (JSON)."""
