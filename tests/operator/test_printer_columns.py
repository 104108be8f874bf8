"""`kubectl get evgen` shows what matters per mode: a streaming row its rate in force, a
batch row its events and shards, and neither a value that means nothing for it."""

from __future__ import annotations

from typing import Any

from eventgen_operator.status import compute_status, invalid_status, rejected_status, status_patch
from tests.operator.builders import batch, crd, streaming
from tests.operator.test_status import NOW, deployment, job


def columns() -> dict[str, str]:
    """Printer column name -> jsonPath, in the CRD's order."""
    version = crd()["spec"]["versions"][0]
    return {c["name"]: c["jsonPath"] for c in version["additionalPrinterColumns"]}


def lookup(document: dict[str, Any], json_path: str) -> Any:
    """The value kubectl prints for a simple `.a.b.c` path (None shows as <none>)."""
    value: Any = document
    for key in json_path.strip(".").split("."):
        if not isinstance(value, dict) or key not in value:
            return None
        value = value[key]
    return value


def row(spec: dict[str, Any], status: dict[str, Any]) -> dict[str, Any]:
    document = {"spec": spec, "status": status, "metadata": {"creationTimestamp": "t"}}
    return {name: lookup(document, path) for name, path in columns().items()}


def test_the_columns_keep_mode_rate_replicas_ready_phase_age_and_add_events_and_shards() -> None:
    assert list(columns()) == [
        "Mode",
        "Rate",
        "Events",
        "Shards",
        "Replicas",
        "Ready",
        "Phase",
        "Reason",
        "Age",
    ]


def test_a_streaming_row_shows_its_rate_and_no_batch_shape() -> None:
    spec = {"mode": "streaming", "rate": 50_000, "maxRatePerReplica": 5000}
    own = streaming(rate=50_000, maxRatePerReplica=5000)
    status = compute_status(own, 1, deployment(10, 10), None, {}, NOW)
    shown = row(spec, status)
    assert (shown["Mode"], shown["Rate"], shown["Replicas"], shown["Ready"]) == (
        "streaming",
        50_000,
        10,
        10,
    )
    assert shown["Events"] is None and shown["Shards"] is None


def test_a_paused_or_suspended_stream_shows_rate_0_in_force() -> None:
    paused = compute_status(streaming(rate=0), 1, deployment(0, 0), None, {}, NOW)
    suspended = compute_status(
        streaming(rate=300, suspend=True), 1, deployment(0, 0), None, {}, NOW
    )
    assert paused["targetRate"] == 0 and suspended["targetRate"] == 0
    resumed = compute_status(streaming(rate=300), 2, deployment(1, 1), None, suspended, NOW)
    assert status_patch(suspended, resumed)["targetRate"] == 300


def test_a_batch_row_shows_events_and_shards_and_no_rate_although_the_crd_defaults_one() -> None:
    # The API server stores the schema's default rate (100) on batch objects too.
    spec = {"mode": "batch", "rate": 100, "batch": {"events": 1_000_000, "shards": 4}}
    status = compute_status(batch(events=1_000_000, shards=4), 1, None, job(active=2), {}, NOW)
    shown = row(spec, status)
    assert (shown["Mode"], shown["Events"], shown["Shards"], shown["Replicas"]) == (
        "batch",
        1_000_000,
        4,
        2,
    )
    assert shown["Rate"] is None


def test_the_reason_column_is_empty_when_all_is_well_and_says_why_when_degraded() -> None:
    spec = {"mode": "streaming", "rate": 100}
    healthy = compute_status(streaming(), 1, deployment(1, 1), None, {}, NOW)
    assert row(spec, healthy)["Reason"] is None
    failing = compute_status(
        streaming(), 1, deployment(0, 1), None, {}, NOW, failing="pod p: topic not found"
    )
    assert row(spec, failing)["Reason"] == "GeneratorFailing"
    invalid = invalid_status(["spec.image: bad"], 1, {}, NOW)
    assert row(spec, invalid)["Reason"] == "InvalidSpec"
    rejected = rejected_status("Deployment orders", "forbidden", 1, {}, NOW)
    assert row(spec, rejected)["Reason"] == "ChildRejected"
    # Back to healthy: the merge patch removes the reason.
    assert status_patch(failing, healthy)["reason"] is None
