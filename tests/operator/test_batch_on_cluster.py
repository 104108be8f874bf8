"""Batch generators on a real API server: the Indexed Job, its progress, its replacement.

No kubelet runs on the test control plane, so the test plays the kubelet's one part the
Job controller needs: it reports shard pods as Succeeded through the pods/status API.
"""

from __future__ import annotations

import json
from typing import Any

from tests.operator.running import RunningOperator, condition, example, table_row


def server_minor(op: RunningOperator) -> int:
    version = json.loads(op.kubectl("version", "-o", "json"))["serverVersion"]
    return int("".join(ch for ch in version["minor"] if ch.isdigit()))


def job_pods(op: RunningOperator, name: str) -> list[dict[str, Any]]:
    return [p for p in op.items("pods") if p["metadata"].get("labels", {}).get("job-name") == name]


def finish_running_pods(op: RunningOperator, name: str) -> None:
    """Report every pending shard pod as Succeeded, as a kubelet would after exit 0."""
    for pod in job_pods(op, name):
        if pod["status"].get("phase") in {"Pending", "Running"}:
            op.kubectl(
                "patch", "pod", pod["metadata"]["name"], "--subresource=status", "--type=merge",
                "-p", json.dumps({"status": {"phase": "Succeeded"}}),
            )  # fmt: skip


def test_the_batch_example_runs_as_a_job_with_one_completion_per_shard(
    operator: RunningOperator,
) -> None:
    operator.apply(example("batch.yaml"))
    job = operator.wait_for(lambda: operator.get("job", "orders-backfill"), "the Job")
    assert (job["spec"]["completions"], job["spec"]["parallelism"]) == (4, 2)
    container = job["spec"]["template"]["spec"]["containers"][0]
    env = {item["name"]: item for item in container["env"]}
    assert container["command"] == ["eventgen", "batch"]
    assert (env["EVENTGEN_EVENTS"]["value"], env["EVENTGEN_SHARD_COUNT"]["value"]) == (
        "1000000",
        "4",
    )
    assert env["EVENTGEN_GCS_BUCKET"]["value"] == "my-project-dev-raw-data"
    operator.wait_for(lambda: len(job_pods(operator, "orders-backfill")) == 2, "2 shard pods")
    # The server stored the hardening, and the Job controller's pods carry it.
    for pod in [job["spec"]["template"], *job_pods(operator, "orders-backfill")]:
        assert pod["spec"]["automountServiceAccountToken"] is False
        assert pod["spec"]["securityContext"]["runAsNonRoot"] is True
        assert pod["spec"]["securityContext"]["seccompProfile"] == {"type": "RuntimeDefault"}
        [shard] = pod["spec"]["containers"]
        assert shard["securityContext"]["readOnlyRootFilesystem"] is True
        assert shard["securityContext"]["capabilities"] == {"drop": ["ALL"]}
    status = operator.wait_status(
        "orders-backfill", lambda s: s.get("phase") == "Running", "Running"
    )["status"]
    shown = table_row(operator.kubectl("get", "evgen", "orders-backfill"))
    # No rate for a batch, though the API server stored the schema's default spec.rate.
    assert (shown["MODE"], shown["RATE"], shown["EVENTS"], shown["SHARDS"]) == (
        "batch",
        "",
        "1000000",
        "4",
    )
    assert status["batch"]["shards"] == 4
    assert status["batch"]["succeededShards"] == 0
    if server_minor(operator) >= 21:
        assert job["spec"]["completionMode"] == "Indexed"
        assert condition(status, "Degraded")["status"] == "False"
    else:
        # 1.20 drops completionMode: pods cannot learn their shard; the status says so.
        assert "completionMode" not in job["spec"]
        assert condition(status, "Degraded")["reason"] == "IndexedJobsUnsupported"


def test_a_batch_runs_to_success_and_is_not_rerun_when_its_job_is_deleted(
    operator: RunningOperator,
) -> None:
    manifest = example("batch.yaml")
    manifest["spec"]["batch"].update(events=1000, shards=3, parallelism=3)
    operator.apply(manifest)
    operator.wait_for(lambda: len(job_pods(operator, "orders-backfill")) == 3, "3 shard pods")

    def finished() -> bool:
        finish_running_pods(operator, "orders-backfill")
        status = (operator.get("evgen", "orders-backfill") or {}).get("status") or {}
        return status.get("phase") == "Succeeded"

    operator.wait_for(finished, "the batch to succeed", timeout=90)
    status = operator.get("evgen", "orders-backfill")["status"]
    assert status["batch"]["succeededShards"] == 3
    assert status["completionTime"]
    assert condition(status, "Ready")["reason"] == "Completed"
    old_uid = operator.get("job", "orders-backfill")["metadata"]["uid"]
    operator.kubectl("delete", "job", "orders-backfill")
    operator.wait_for(
        lambda: (
            (j := operator.get("job", "orders-backfill")) is None or j["metadata"]["uid"] != old_uid
        ),
        "the Job deleted",
    )
    operator.patch_spec("orders-backfill", suspend=False)  # any trigger: a no-op edit
    operator.kubectl("annotate", "evgen", "orders-backfill", "poke=1")
    status = operator.wait_status(
        "orders-backfill", lambda s: s.get("phase") == "Succeeded", "still Succeeded"
    )["status"]
    assert operator.get("job", "orders-backfill") is None, "a finished batch was rerun"
    assert status["batch"]["succeededShards"] == 3


def test_parallelism_and_suspend_change_the_job_in_place_a_new_shape_replaces_it(
    operator: RunningOperator,
) -> None:
    operator.apply(example("batch.yaml"))
    job = operator.wait_for(lambda: operator.get("job", "orders-backfill"), "the Job")
    uid = job["metadata"]["uid"]

    def parallelism() -> tuple[str, int] | None:
        found = operator.get("job", "orders-backfill")
        return (found["metadata"]["uid"], found["spec"]["parallelism"]) if found else None

    operator.kubectl(
        "patch", "evgen", "orders-backfill", "--type=merge",
        "-p", json.dumps({"spec": {"batch": {"parallelism": 1}}}),
    )  # fmt: skip
    operator.wait_for(lambda: parallelism() == (uid, 1), "parallelism 1, same Job")
    operator.patch_spec("orders-backfill", suspend=True)
    operator.wait_for(lambda: parallelism() == (uid, 0), "suspended: parallelism 0")
    operator.wait_status("orders-backfill", lambda s: s.get("phase") == "Suspended", "Suspended")
    operator.wait_for(lambda: not job_pods(operator, "orders-backfill"), "shard pods removed")
    operator.patch_spec("orders-backfill", suspend=False)
    operator.wait_for(lambda: parallelism() == (uid, 1), "resumed: parallelism 1")
    operator.kubectl(
        "patch", "evgen", "orders-backfill", "--type=merge",
        "-p", json.dumps({"spec": {"batch": {"events": 2000}}}),
    )  # fmt: skip
    replaced = operator.wait_for(
        lambda: (j := operator.get("job", "orders-backfill")) and j["metadata"]["uid"] != uid and j,
        "the Job replaced for the new batch shape",
    )
    env = {
        e["name"]: e.get("value")
        for e in replaced["spec"]["template"]["spec"]["containers"][0]["env"]
    }
    assert env["EVENTGEN_EVENTS"] == "2000"
    events = operator.kubectl(
        "get", "events", "--field-selector", "involvedObject.name=orders-backfill"
    )
    assert "ReplacingJob" in events
