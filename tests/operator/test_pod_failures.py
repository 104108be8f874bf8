"""Why generator pods fail, from pod statuses as the kubelet records them, into the status."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import pytest

from eventgen_operator.pod_failures import generator_failure, pod_failure
from eventgen_operator.status import compute_status
from tests.operator.builders import batch, streaming
from tests.operator.running import condition

NOW = datetime(2026, 1, 5, 12, 0, tzinfo=UTC)
TOPIC_MISSING = (
    "eventgen: error: Pub/Sub topic projects/test-project/topics/missing not found; "
    "create it or fix spec.sink.pubsub.topic"
)


def pod(name: str, **status: Any) -> dict[str, Any]:
    return {"metadata": {"name": name, "namespace": "shop"}, "status": status}


def container(**fields: Any) -> dict[str, Any]:
    return {"name": "generator", "ready": False, "restartCount": 3, "image": "x", **fields}


def generator_pod(name: str, phase: str, **fields: Any) -> dict[str, Any]:
    """A pod in `phase` whose one generator container has `fields` (state, lastState...)."""
    return pod(name, phase=phase, containerStatuses=[container(**fields)])


CRASH_LOOP = generator_pod(
    "orders-7d9f8-abcde",
    "Running",
    state={"waiting": {"reason": "CrashLoopBackOff",
                       "message": "back-off 40s restarting failed container"}},
    lastState={"terminated": {"exitCode": 1, "reason": "Error",
                              "message": TOPIC_MISSING + "\n",
                              "startedAt": "2026-01-05T11:59:00Z",
                              "finishedAt": "2026-01-05T11:59:02Z"}},
)  # fmt: skip
FAILED_SHARD = generator_pod(
    "backfill-2-xk2p9",
    "Failed",
    state={"terminated": {"exitCode": 1, "reason": "Error",
                          "message": "eventgen: error: Cloud Storage: bucket "
                                     "acme-raw-data does not exist"}},
)  # fmt: skip
CRASH_WITHOUT_MESSAGE = generator_pod(
    "orders-7d9f8-zzzzz",
    "Running",
    state={"waiting": {"reason": "CrashLoopBackOff"}},
    lastState={"terminated": {"exitCode": 137, "reason": "OOMKilled"}},
)  # fmt: skip
IMAGE_PULL = generator_pod(
    "orders-7d9f8-pull1",
    "Pending",
    state={"waiting": {"reason": "ImagePullBackOff",
                       "message": 'Back-off pulling image "ghcr.io/acme/eventgen:nope"'}},
)  # fmt: skip
UNSCHEDULABLE = pod(
    "orders-7d9f8-sched",
    phase="Pending",
    conditions=[
        {"type": "PodScheduled", "status": "False", "reason": "Unschedulable",
         "message": "0/3 nodes are available: 3 Insufficient cpu."}
    ],
)  # fmt: skip
BETWEEN_CRASHES = generator_pod(
    "orders-7d9f8-again",
    "Running",
    state={"running": {"startedAt": "2026-01-05T11:59:30Z"}},
    lastState={"terminated": {"exitCode": 1, "message": TOPIC_MISSING}},
)
HEALTHY = generator_pod(
    "orders-7d9f8-ok123", "Running", ready=True, state={"running": {"startedAt": "x"}}
)
RECOVERED = generator_pod(
    "orders-7d9f8-ok456",
    "Running",
    ready=True,
    state={"running": {"startedAt": "x"}},
    lastState={"terminated": {"exitCode": 1, "message": "transient"}},
)
STARTING = generator_pod(
    "orders-7d9f8-new12", "Pending", state={"waiting": {"reason": "ContainerCreating"}}
)
DONE_SHARD = generator_pod(
    "backfill-0-done1", "Succeeded", state={"terminated": {"exitCode": 0, "reason": "Completed"}}
)


@pytest.mark.parametrize(
    ("recorded", "said"),
    [
        (CRASH_LOOP, TOPIC_MISSING),
        (BETWEEN_CRASHES, TOPIC_MISSING),
        (FAILED_SHARD, "eventgen: error: Cloud Storage: bucket acme-raw-data does not exist"),
        (CRASH_WITHOUT_MESSAGE, "exited with code 137 (OOMKilled)"),
        (IMAGE_PULL, 'ImagePullBackOff: Back-off pulling image "ghcr.io/acme/eventgen:nope"'),
        (UNSCHEDULABLE, "Unschedulable: 0/3 nodes are available: 3 Insufficient cpu."),
    ],
)
def test_a_failing_pod_says_why(recorded: dict[str, Any], said: str) -> None:
    assert pod_failure(recorded) == said


@pytest.mark.parametrize("recorded", [HEALTHY, RECOVERED, STARTING, DONE_SHARD, pod("bare")])
def test_a_pod_that_runs_starts_or_finished_is_not_failing(recorded: dict[str, Any]) -> None:
    assert pod_failure(recorded) is None


def test_the_first_failing_pod_by_name_speaks_and_the_others_are_counted() -> None:
    said = generator_failure([HEALTHY, IMAGE_PULL, CRASH_LOOP, STARTING])
    assert said == f"pod orders-7d9f8-abcde: {TOPIC_MISSING} (and 1 more pod(s) failing)"


def test_a_long_message_is_cut_to_a_readable_length() -> None:
    long = pod(
        "p",
        containerStatuses=[container(state={"terminated": {"exitCode": 1, "message": "x" * 5000}})],
    )
    said = generator_failure([long])
    assert said is not None and len(said) <= 300 and said.endswith("...")


def test_pods_being_deleted_do_not_count() -> None:
    leaving = {
        **CRASH_LOOP,
        "metadata": {"name": "old", "deletionTimestamp": "2026-01-05T12:00:00Z"},
    }
    assert generator_failure([leaving, HEALTHY]) is None


def deployment(ready: int, replicas: int = 1) -> dict[str, Any]:
    return {"status": {"replicas": replicas, "readyReplicas": ready, "updatedReplicas": replicas}}


def test_a_crash_looping_stream_is_degraded_generator_failing_with_the_message() -> None:
    failing = generator_failure([CRASH_LOOP])
    status = compute_status(streaming(), 1, deployment(0), None, {}, NOW, failing=failing)
    ready, degraded = condition(status, "Ready"), condition(status, "Degraded")
    assert (ready["status"], ready["reason"]) == ("False", "GeneratorFailing")
    assert (degraded["status"], degraded["reason"]) == ("True", "GeneratorFailing")
    assert TOPIC_MISSING in degraded["message"]
    assert status["reason"] == "GeneratorFailing"


def test_once_every_replica_is_ready_a_past_failure_no_longer_shows() -> None:
    status = compute_status(streaming(), 1, deployment(1), None, {}, NOW, failing=None)
    assert condition(status, "Degraded")["status"] == "False"
    assert "reason" not in status


def test_a_failing_shard_is_degraded_generator_failing_while_the_job_runs() -> None:
    job = {"spec": {"completionMode": "Indexed"}, "status": {"active": 1, "failed": 1}}
    failing = generator_failure([FAILED_SHARD])
    status = compute_status(batch(), 1, None, job, {}, NOW, failing=failing)
    assert condition(status, "Degraded")["reason"] == "GeneratorFailing"
    assert condition(status, "Ready")["reason"] == "GeneratorFailing"
    assert "bucket acme-raw-data does not exist" in condition(status, "Degraded")["message"]
