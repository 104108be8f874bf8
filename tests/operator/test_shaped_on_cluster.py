"""Shaped streams on a real API server: replicas for the coming peak, the shape in the live
ConfigMap, edits applied in place (no new ReplicaSet), status with the next change."""

from __future__ import annotations

import json
import time
from typing import Any

import pytest

from tests.operator.running import RunningOperator, example
from tests.operator.test_streaming_on_cluster import replicasets
from tests.support.controlplane import ToolError

# x1 for 2 minutes, then x5: the step is inside the first 5-minute sizing window.
STEP_UP = {"stages": [{"factor": 1, "durationSeconds": 120}, {"factor": 5, "durationSeconds": 600}]}


def live(op: RunningOperator, name: str) -> tuple[int, str, dict[str, Any] | None] | None:
    """(Deployment replicas, ratePerReplica, the shape document) once both exist."""
    deployment = op.get("deployment", name)
    configmap = op.get("configmap", f"{name}-live")
    if deployment is None or configmap is None:
        return None
    document = configmap["data"].get("shape")
    return (
        deployment["spec"]["replicas"],
        configmap["data"]["ratePerReplica"],
        json.loads(document) if document else None,
    )


def test_a_shape_sizes_for_the_coming_peak_and_edits_apply_without_a_rollout(
    operator: RunningOperator,
) -> None:
    manifest = example("streaming.yaml")
    manifest["spec"].update(rate=4000, maxRatePerReplica=5000, shape=STEP_UP)
    operator.apply(manifest)
    seen = operator.wait_for(
        lambda: (s := live(operator, "orders-stream")) and s[0] == 4 and s, "4 pods for x5 ahead"
    )
    assert seen[1] == "1000"  # each pod's base; x5 at the step: 5,000/s, maxRatePerReplica
    generator = operator.wait_status(
        "orders-stream", lambda s: "shape" in s, "status.shape written"
    )
    created = generator["metadata"]["creationTimestamp"]
    assert seen[2]["start"] == created  # stages anchored at the creation, for every pod
    status = generator["status"]
    assert status["targetRate"] == 4000 and status["shape"]["sizedForRate"] == 20000
    assert status["shape"]["nextRate"] == 20000
    operator.wait_for(lambda: len(replicasets(operator, "orders-stream")) == 1, "a ReplicaSet")
    [first] = replicasets(operator, "orders-stream")
    # A shape edit: x0.5 from now on: 1 pod, its base the whole rate, the new shape live.
    began = time.monotonic()
    operator.patch_spec(
        "orders-stream", shape={"stages": [{"factor": 0.5, "durationSeconds": 9e5}]}
    )
    operator.wait_for(
        lambda: (s := live(operator, "orders-stream")) and s[:2] == (1, "4000")
        and s[2] is not None and s[2]["stages"][0]["factor"] == 0.5,
        "the edit in the ConfigMap",
        timeout=5,
    )  # fmt: skip
    assert time.monotonic() - began < 5
    operator.wait_status("orders-stream", lambda s: s.get("targetRate") == 2000, "rate now 2,000")
    # The shape removed: flat again, the key gone from the ConfigMap.
    operator.patch_spec("orders-stream", shape=None)
    operator.wait_for(
        lambda: live(operator, "orders-stream") == (1, "4000", None), "the shape removed"
    )
    [only] = replicasets(operator, "orders-stream")
    assert only["metadata"]["uid"] == first["metadata"]["uid"], "pods were rolled"


def test_a_bad_shape_is_refused_by_the_schema_or_reported_by_the_operator(
    operator: RunningOperator,
) -> None:
    manifest = example("streaming.yaml")
    manifest["spec"]["shape"] = {"stages": [{"factor": 5000, "durationSeconds": 60}]}
    with pytest.raises(ToolError) as refused:
        operator.apply(manifest)
    assert "spec.shape.stages" in str(refused.value) and "factor" in str(refused.value)
    # What the schema cannot see: a weekly burst without its weekday.
    weekly = {"at": "20:00", "every": "week", "durationSeconds": 60, "factor": 2}
    manifest["spec"]["shape"] = {"bursts": [weekly]}
    operator.apply(manifest)
    ready = operator.wait_not_ready("orders-stream", "Invalid", "InvalidSpec")
    assert "spec.shape.bursts[0]: weekday is required with every: week" in ready["message"]
