"""Bad EventGenerators: refused by the API server's schema, or reported by the operator."""

from __future__ import annotations

import json
from typing import Any

import pytest

from tests.operator.running import RunningOperator, condition, example
from tests.support.controlplane import ToolError


@pytest.mark.parametrize(
    ("edit", "message"),
    [
        ({"mode": "sideways"}, 'spec.mode: Unsupported value: "sideways"'),
        ({"rate": -5}, "spec.rate: Invalid value"),
        ({"maxRatePerReplica": 0}, "spec.maxRatePerReplica: Invalid value"),
        ({"sink": {"type": "kafka"}}, 'spec.sink.type: Unsupported value: "kafka"'),
        ({"faults": {"duplicateRate": 2}}, "spec.faults.duplicateRate: Invalid value"),
        ({"sink": None}, 'missing required field "sink"'),  # kubectl's own check
        ({"env": [{"name": "MY-VAR", "value": "x"}]}, "spec.env.name in body should match"),
        (
            {"env": [{"name": "HTTPS_PROXY", "value": "a"}, {"name": "HTTPS_PROXY"}]},
            "spec.env[1]: Duplicate value",
        ),
        (
            {"env": [{"name": f"V{i}", "value": "1"} for i in range(33)]},
            "spec.env in body should have at most 32 items",
        ),
        (
            {"sink": {"type": "jsonl-local", "jsonlLocal": {"path": "/events.jsonl"}}},
            "spec.sink.jsonlLocal.path in body should match '^/[^/]+/'",
        ),
    ],
)
def test_the_api_server_refuses_what_the_schema_forbids(
    operator: RunningOperator, edit: dict[str, Any], message: str
) -> None:
    manifest = example("streaming.yaml")
    manifest["spec"].update(edit)
    manifest["spec"] = {key: value for key, value in manifest["spec"].items() if value is not None}
    with pytest.raises(ToolError) as refused:
        operator.apply(manifest)
    assert message in str(refused.value)
    assert operator.get("evgen", "orders-stream") is None


def test_a_cross_field_violation_is_reported_once_and_fixed_by_an_edit(
    operator: RunningOperator,
) -> None:
    manifest = example("batch.yaml")
    del manifest["spec"]["batch"]
    rule = "spec.batch (with events) is required when spec.mode is batch"
    if not operator.apply_unless_refused(manifest, rule):
        return
    ready = operator.wait_not_ready("orders-backfill", "Invalid", "InvalidSpec")
    assert ready["message"] == rule
    # Not retried forever: kopf marked this spec as handled (under the project's group),
    # with no retry pending, and the operator said it once.
    handled = operator.wait_for(
        lambda: (operator.get("evgen", "orders-backfill")["metadata"].get("annotations") or {}).get(
            "ecommerce.dataplatform.io/last-handled-configuration"
        ),
        "kopf to record the spec as handled",
    )
    assert json.loads(handled)["spec"]["mode"] == "batch"
    annotations = operator.get("evgen", "orders-backfill")["metadata"]["annotations"]
    assert "ecommerce.dataplatform.io/generator_changed" not in annotations
    assert operator.log_text().count("orders-backfill: invalid spec: spec.batch") == 1
    assert operator.get("job", "orders-backfill") is None
    events = operator.kubectl(
        "get", "events", "--field-selector", "involvedObject.name=orders-backfill"
    )
    assert "InvalidSpec" in events
    operator.kubectl(
        "patch", "evgen", "orders-backfill", "--type=merge",
        "-p", json.dumps({"spec": {"batch": {"events": 500, "shards": 2}}}),
    )  # fmt: skip
    operator.wait_for(lambda: operator.get("job", "orders-backfill"), "the Job after the fix")
    status = operator.wait_status(
        "orders-backfill", lambda s: s.get("phase") not in (None, "Invalid"), "no longer Invalid"
    )["status"]
    assert condition(status, "Ready")["reason"] != "InvalidSpec"


def test_the_mode_cannot_change_after_the_start(operator: RunningOperator) -> None:
    operator.apply(example("streaming.yaml"))
    operator.wait_for(lambda: operator.get("deployment", "orders-stream"), "the Deployment")
    change = {"spec": {"mode": "batch", "batch": {"events": 10}}}
    result = operator.plane.kubectl(
        "--namespace", operator.namespace, "patch", "evgen", "orders-stream", "--type=merge",
        "-p", json.dumps(change), check=False,
    )  # fmt: skip
    if result.returncode != 0:  # servers >= 1.25 enforce the transition rule
        assert "spec.mode is immutable" in result.stderr
        return
    ready = operator.wait_not_ready("orders-stream", "Invalid", "InvalidSpec")
    assert "spec.mode is immutable" in ready["message"]
    assert operator.get("job", "orders-stream") is None


def test_env_the_operator_owns_is_reported_invalid_and_nothing_runs(
    operator: RunningOperator,
) -> None:
    manifest = example("streaming.yaml")
    manifest["spec"]["env"] = [{"name": "EVENTGEN_RATE", "value": "999999"}]
    if not operator.apply_unless_refused(manifest, "are set by the operator"):
        return
    ready = operator.wait_not_ready("orders-stream", "Invalid", "InvalidSpec")
    assert ready["message"].startswith("spec.env[0].name: EVENTGEN_RATE is set by the operator")
    assert operator.get("deployment", "orders-stream") is None
