"""Status and conditions computed from the children's observed state (no servers)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from eventgen_operator.labels import SPEC_HASH_ANNOTATION
from eventgen_operator.status import compute_status, invalid_status, status_patch
from tests.operator.builders import batch, streaming

NOW = datetime(2026, 5, 1, 12, 0, 0, tzinfo=UTC)


def conditions(status: dict[str, Any]) -> dict[str, tuple[str, str]]:
    """type -> (status, reason)."""
    return {c["type"]: (c["status"], c["reason"]) for c in status["conditions"]}


def deployment(replicas: int, ready: int, updated: int | None = None, **extra: Any) -> Any:
    state = {"replicas": replicas, "readyReplicas": ready, "updatedReplicas": updated or replicas}
    return {"spec": {"replicas": replicas}, "status": {**state, **extra}}


def job(
    active: int = 0,
    succeeded: int = 0,
    failed: int = 0,
    done: str | None = None,
    indexed: bool = True,
    spec_hash: str = "abc",
) -> Any:
    state: dict[str, Any] = {"active": active, "succeeded": succeeded, "failed": failed}
    if done:
        state["conditions"] = [{"type": done, "status": "True", "reason": "X", "message": "m"}]
        state["completionTime"] = "2026-05-01T11:59:00Z"
    return {
        "metadata": {"annotations": {SPEC_HASH_ANNOTATION: spec_hash}},
        "spec": {"completionMode": "Indexed"} if indexed else {},
        "status": state,
    }


def test_streaming_with_all_replicas_ready_is_running_and_ready() -> None:
    own = streaming(rate=50_000, maxRatePerReplica=5000)
    status = compute_status(own, 3, deployment(10, 10), None, {}, NOW)
    assert status["phase"] == "Running"
    assert (status["replicas"], status["readyReplicas"]) == (10, 10)
    assert status["ratePerReplica"] == 5000
    assert status["observedGeneration"] == 3
    assert conditions(status) == {
        "Ready": ("True", "AllReplicasReady"),
        "Progressing": ("False", "Converged"),
        "Degraded": ("False", "AsExpected"),
    }


def test_streaming_with_pods_not_ready_is_pending_and_progressing() -> None:
    status = compute_status(streaming(rate=100), 1, deployment(1, 0), None, {}, NOW)
    assert status["phase"] == "Pending"
    assert conditions(status)["Ready"] == ("False", "ReplicasNotReady")
    assert conditions(status)["Progressing"] == ("True", "Scaling")
    ready = next(c for c in status["conditions"] if c["type"] == "Ready")
    assert ready["message"] == "0 of 1 replicas ready"


def test_rate_zero_is_paused_and_suspend_is_suspended() -> None:
    paused = compute_status(streaming(rate=0), 2, deployment(0, 0), None, {}, NOW)
    assert paused["phase"] == "Paused"
    assert conditions(paused)["Ready"] == ("True", "Paused")
    suspended = compute_status(streaming(suspend=True), 2, deployment(0, 0), None, {}, NOW)
    assert suspended["phase"] == "Suspended"
    assert suspended["replicas"] == 0


def test_a_failing_deployment_is_degraded_with_its_reason() -> None:
    failing = deployment(
        2,
        0,
        conditions=[
            {
                "type": "ReplicaFailure",
                "status": "True",
                "reason": "FailedCreate",
                "message": "quota exceeded",
            }
        ],
    )
    status = compute_status(streaming(rate=6000), 1, failing, None, {}, NOW)
    assert conditions(status)["Degraded"] == ("True", "FailedCreate")


def test_transition_time_is_kept_while_a_condition_holds() -> None:
    first = compute_status(streaming(), 1, deployment(1, 0), None, {}, NOW)
    later = NOW + timedelta(minutes=5)
    same = compute_status(streaming(), 1, deployment(1, 0), None, first, later)
    assert same["conditions"] == first["conditions"]
    ready = compute_status(streaming(), 1, deployment(1, 1), None, first, later)
    times = {c["type"]: c["lastTransitionTime"] for c in ready["conditions"]}
    assert times["Ready"] == "2026-05-01T12:05:00Z"
    assert times["Degraded"] == "2026-05-01T12:00:00Z"


def test_batch_progress_counts_succeeded_shards() -> None:
    status = compute_status(batch(shards=4), 1, None, job(active=2, succeeded=1), {}, NOW)
    assert status["phase"] == "Running"
    assert status["batch"] == {
        "shards": 4,
        "succeededShards": 1,
        "failedPods": 0,
        "specHash": "abc",
    }
    assert conditions(status)["Progressing"] == ("True", "Running")
    assert conditions(status)["Ready"] == ("False", "Running")


def test_a_complete_batch_is_succeeded_with_its_completion_time() -> None:
    status = compute_status(batch(shards=4), 1, None, job(succeeded=4, done="Complete"), {}, NOW)
    assert status["phase"] == "Succeeded"
    assert status["completionTime"] == "2026-05-01T11:59:00Z"
    assert conditions(status)["Ready"] == ("True", "Completed")
    assert conditions(status)["Progressing"][0] == "False"


def test_a_failed_batch_is_failed_and_degraded() -> None:
    status = compute_status(batch(), 1, None, job(failed=7, done="Failed"), {}, NOW)
    assert status["phase"] == "Failed"
    assert conditions(status)["Degraded"] == ("True", "PodFailures")


def test_a_finished_batch_stays_succeeded_when_its_job_is_deleted() -> None:
    done = compute_status(batch(), 1, None, job(succeeded=4, done="Complete"), {}, NOW)
    after = compute_status(batch(), 1, None, None, done, NOW)
    assert after["phase"] == "Succeeded"
    assert after["batch"]["succeededShards"] == 4
    assert after["completionTime"] == done["completionTime"]


def test_a_cluster_without_indexed_jobs_is_reported_as_degraded() -> None:
    status = compute_status(batch(), 1, None, job(active=4, indexed=False), {}, NOW)
    assert conditions(status)["Degraded"] == ("True", "IndexedJobsUnsupported")


def test_a_suspended_batch_says_so() -> None:
    status = compute_status(batch(suspend=True), 1, None, job(succeeded=1), {}, NOW)
    assert status["phase"] == "Suspended"
    assert conditions(status)["Ready"] == ("False", "Suspended")


def test_an_invalid_spec_is_not_ready_with_the_problems_as_message() -> None:
    status = invalid_status(["spec.batch.events: required"], 4, {}, NOW)
    assert status["phase"] == "Invalid"
    assert status["observedGeneration"] == 4
    ready = next(c for c in status["conditions"] if c["type"] == "Ready")
    assert (ready["status"], ready["reason"], ready["message"]) == (
        "False",
        "InvalidSpec",
        "spec.batch.events: required",
    )


def test_status_patch_sends_only_changes_and_clears_stale_fields() -> None:
    previous = compute_status(streaming(), 1, deployment(1, 1), None, {}, NOW)
    assert status_patch(previous, previous) == {}
    invalid = invalid_status(["x"], 2, previous, NOW)
    patch = status_patch(previous, invalid)
    assert patch["phase"] == "Invalid"
    assert patch["ratePerReplica"] is None and patch["replicas"] is None
