"""The desired children of an EventGenerator, as rendered by the pure functions."""

from __future__ import annotations

from typing import Any

from eventgen_operator.children import (
    build_deployment,
    build_job,
    build_live_configmap,
    effective_seed,
)
from eventgen_operator.config import OperatorConfig
from eventgen_operator.labels import GENERATOR_LABEL, SPEC_HASH_ANNOTATION
from eventgen_operator.spec import parse_spec
from tests.operator.builders import OWNER, batch, streaming

CONFIG = OperatorConfig(
    generator_image="registry.example/eventgen:1.2.3",
    generator_service_account="eventgen-generator",
    gcp_project="acme-prod",
)


def env_of(manifest: dict[str, Any]) -> dict[str, Any]:
    """The generator container's env as name -> value (or valueFrom)."""
    container = manifest["spec"]["template"]["spec"]["containers"][0]
    return {item["name"]: item.get("value", item.get("valueFrom")) for item in container["env"]}


def test_a_rate_edit_changes_replicas_and_live_rate_but_never_the_pod_template() -> None:
    rendered = {
        rate: (
            build_deployment(streaming(rate=rate), OWNER, CONFIG),
            build_live_configmap(streaming(rate=rate), OWNER),
        )
        for rate in (100, 20_000, 50_000, 0)
    }
    templates = {str(deployment["spec"]["template"]) for deployment, _ in rendered.values()}
    assert len(templates) == 1, "the pod template must not depend on the rate"
    replicas = {rate: d["spec"]["replicas"] for rate, (d, _) in rendered.items()}
    # The default maxRatePerReplica, 20,000 (sized by bench/generator_pod.py).
    assert replicas == {100: 1, 20_000: 1, 50_000: 3, 0: 0}
    live = {rate: cm["data"]["ratePerReplica"] for rate, (_, cm) in rendered.items()}
    assert live == {100: "100", 20_000: "20000", 50_000: "16666.667", 0: "0"}


def test_streaming_pods_read_their_rate_and_identity_from_the_cluster() -> None:
    env = env_of(build_deployment(streaming(rate=100, seed=42), OWNER, CONFIG))
    assert env["EVENTGEN_RATE"] == {
        "configMapKeyRef": {"name": "orders-live", "key": "ratePerReplica"}
    }
    assert env["EVENTGEN_RATE_CONFIGMAP"] == "orders-live"
    assert env["EVENTGEN_GENERATOR_ID"] == {"fieldRef": {"fieldPath": "metadata.name"}}
    assert env["POD_NAMESPACE"] == {"fieldRef": {"fieldPath": "metadata.namespace"}}
    assert env["EVENTGEN_SEED"] == "42"


def test_children_are_owned_labelled_and_deterministically_named() -> None:
    deployment = build_deployment(streaming(), OWNER, CONFIG)
    configmap = build_live_configmap(streaming(), OWNER)
    job = build_job(batch(), OWNER, CONFIG)
    for child, name in ((deployment, "orders"), (configmap, "orders-live"), (job, "orders")):
        metadata = child["metadata"]
        assert metadata["name"] == name
        assert metadata["namespace"] == "shop"
        assert metadata["labels"][GENERATOR_LABEL] == "orders"
        [reference] = metadata["ownerReferences"]
        assert reference["uid"] == OWNER.uid
        assert reference["kind"] == "EventGenerator"
        assert reference["controller"] is True
    selector = deployment["spec"]["selector"]["matchLabels"]
    template_labels = deployment["spec"]["template"]["metadata"]["labels"]
    assert selector.items() <= template_labels.items()


def test_pods_run_the_configured_image_and_service_account_unless_the_spec_overrides() -> None:
    pod = build_deployment(streaming(), OWNER, CONFIG)["spec"]["template"]["spec"]
    assert pod["containers"][0]["image"] == "registry.example/eventgen:1.2.3"
    assert pod["serviceAccountName"] == "eventgen-generator"
    own = streaming(image="mine:1", serviceAccountName="custom", imagePullPolicy="Always")
    pod = build_deployment(own, OWNER, CONFIG)["spec"]["template"]["spec"]
    assert pod["containers"][0]["image"] == "mine:1"
    assert pod["containers"][0]["imagePullPolicy"] == "Always"
    assert pod["serviceAccountName"] == "custom"


def test_sinks_map_to_the_generator_environment() -> None:
    target = {"topic": "ecommerce-events", "orderingByOrderId": True}
    pubsub = streaming(sink={"type": "pubsub", "pubsub": target})
    env = env_of(build_deployment(pubsub, OWNER, CONFIG))
    assert env["EVENTGEN_SINK"] == "pubsub"
    assert env["EVENTGEN_ORDERING_KEY"] == "order_id"
    assert env["EVENTGEN_NAME"] == "orders"
    assert env["EVENTGEN_PUBSUB_TOPIC"] == "ecommerce-events"
    assert env["EVENTGEN_PUBSUB_PROJECT"] == "acme-prod"  # the operator's default project
    gcs = batch(sink={"type": "gcs", "gcs": {"bucket": "acme-dev-raw-data"}})
    env = env_of(build_job(gcs, OWNER, CONFIG))
    assert (env["EVENTGEN_SINK"], env["EVENTGEN_GCS_BUCKET"], env["EVENTGEN_GCS_PREFIX"]) == (
        "gcs",
        "acme-dev-raw-data",
        "raw/",
    )
    local = streaming(sink={"type": "jsonl-local", "jsonlLocal": {"path": "/tmp/out"}})
    env = env_of(build_deployment(local, OWNER, CONFIG))
    assert (env["EVENTGEN_SINK"], env["EVENTGEN_OUTPUT"]) == ("jsonl", "/tmp/out")


def test_event_mix_and_faults_reach_the_generator_only_when_set() -> None:
    plain = env_of(build_deployment(streaming(), OWNER, CONFIG))
    assert "EVENTGEN_DUPLICATE_RATE" not in plain
    assert plain["EVENTGEN_LOCALE"] == "en_US"
    spec = streaming(
        events={"locale": "de_DE", "cancelRate": 0.05, "refundRate": 0.02},
        faults={"duplicateRate": 0.01, "lateRate": 0.2, "maxLatenessSeconds": 3600},
    )
    env = env_of(build_deployment(spec, OWNER, CONFIG))
    assert env["EVENTGEN_LOCALE"] == "de_DE"
    assert env["EVENTGEN_CANCEL_RATE"] == "0.05"
    assert env["EVENTGEN_REFUND_RATE"] == "0.02"
    assert env["EVENTGEN_DUPLICATE_RATE"] == "0.01"
    assert env["EVENTGEN_LATE_RATE"] == "0.2"
    assert env["EVENTGEN_MAX_LATENESS_SECONDS"] == "3600"


def test_batch_job_has_one_indexed_completion_per_shard_and_the_exact_total() -> None:
    job = build_job(batch(events=1_000_003, shards=8, seed=7), OWNER, CONFIG)
    spec = job["spec"]
    assert spec["completionMode"] == "Indexed"
    assert spec["completions"] == 8
    assert spec["parallelism"] == 8  # default: every shard at once
    assert spec["template"]["spec"]["restartPolicy"] == "Never"
    env = env_of(job)
    assert env["EVENTGEN_EVENTS"] == "1000003"
    assert env["EVENTGEN_SHARD_COUNT"] == "8"
    assert env["EVENTGEN_SHARD_INDEX"] == {
        "fieldRef": {
            "fieldPath": "metadata.annotations['batch.kubernetes.io/job-completion-index']"
        }
    }
    assert "EVENTGEN_GENERATOR_ID" not in env  # derived per shard by the generator


def test_a_flat_batch_turns_the_generators_daily_profile_off() -> None:
    flat = parse_spec(
        {
            "mode": "batch",
            "sink": {"type": "stdout"},
            "batch": {"events": 1000, "shards": 4, "dailyProfile": False},
        },
        OWNER.name,
    )
    flat_job = build_job(flat, OWNER, CONFIG)
    assert env_of(flat_job)["EVENTGEN_DAILY_PROFILE"] == "false"
    # The generator's default (a daily rhythm) needs no variable; it is a new batch shape.
    default_job = build_job(batch(events=1000, shards=4), OWNER, CONFIG)
    assert "EVENTGEN_DAILY_PROFILE" not in env_of(default_job)
    digest = SPEC_HASH_ANNOTATION
    assert (
        flat_job["metadata"]["annotations"][digest]
        != (default_job["metadata"]["annotations"][digest])
    )


def test_parallelism_and_suspend_change_a_job_in_place_but_the_batch_shape_replaces_it() -> None:
    def digest(spec: Any) -> str:
        return str(build_job(spec, OWNER, CONFIG)["metadata"]["annotations"][SPEC_HASH_ANNOTATION])

    base = digest(batch(events=1000, shards=4))
    assert digest(batch(events=1000, shards=4, suspend=True)) == base
    raw = {"events": 1000, "shards": 4, "parallelism": 1}
    with_parallelism = parse_spec(
        {"mode": "batch", "sink": {"type": "stdout"}, "batch": raw}, OWNER.name
    )
    assert digest(with_parallelism) == base
    assert build_job(with_parallelism, OWNER, CONFIG)["spec"]["parallelism"] == 1
    assert digest(batch(events=1001, shards=4)) != base
    assert digest(batch(events=1000, shards=5)) != base
    assert build_job(batch(suspend=True), OWNER, CONFIG)["spec"]["parallelism"] == 0


def test_a_generator_without_seed_gets_a_stable_seed_of_its_own() -> None:
    other = OWNER.__class__(name="orders", namespace="shop", uid="another-uid")
    assert effective_seed(streaming(), OWNER) == effective_seed(streaming(), OWNER)
    assert effective_seed(streaming(), OWNER) != effective_seed(streaming(), other)
    assert 0 <= effective_seed(streaming(), OWNER) < 2**63
    assert effective_seed(streaming(seed=5), OWNER) == 5
