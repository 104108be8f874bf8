"""Specs Kubernetes or Google Cloud would refuse later: refused now, or said in the status.

Each class ends, within seconds, in the API server's rejection of the EventGenerator (the
CRD's patterns) or in a status with the reason and message, with no Deployment that could
run it; the operator then still reconciles a valid generator.
"""

from __future__ import annotations

import json
import time
from typing import Any

import pytest

from tests.operator.running import RunningOperator, condition, example, table_row
from tests.support.controlplane import ToolError

# Seconds within which a refusal must be said (the bound).
SAY_WITHIN = 10


def stream(name: str = "orders-stream", **spec: Any) -> dict[str, Any]:
    manifest = example("streaming.yaml")
    manifest["metadata"]["name"] = name
    manifest["spec"].update(spec)
    return manifest


@pytest.mark.parametrize(
    ("edit", "message"),
    [
        ({"resources": {"requests": {"memory": "1 Gi"}}}, "spec.resources.requests.memory"),
        ({"resources": {"limits": {"cpu": "lots"}}}, "spec.resources.limits.cpu"),
        ({"serviceAccountName": "Generator_SA"}, "spec.serviceAccountName in body should match"),
        ({"image": " ghcr.io/acme/eventgen:1"}, "spec.image in body should match"),
        ({"image": "ghcr.io/Acme/eventgen:1"}, "spec.image in body should match"),
        (
            {"sink": {"type": "pubsub", "pubsub": {"project": "x", "topic": "ecommerce-events"}}},
            "spec.sink.pubsub.project in body should match",
        ),
        (
            {"sink": {"type": "pubsub", "pubsub": {"topic": "1-events"}}},
            "spec.sink.pubsub.topic in body should match",
        ),
        (
            {"sink": {"type": "gcs", "gcs": {"bucket": "Acme-Raw"}}},
            "spec.sink.gcs.bucket in body should match",
        ),
    ],
)
def test_the_crd_refuses_what_its_patterns_can_say(
    operator: RunningOperator, edit: dict[str, Any], message: str
) -> None:
    with pytest.raises(ToolError) as refused:
        operator.apply(stream(**edit))
    assert message in str(refused.value)
    assert operator.get("evgen", "orders-stream") is None


@pytest.mark.parametrize(
    ("edit", "message"),
    [
        (
            {"resources": {"requests": {"cpu": "2"}, "limits": {"cpu": "1"}}},
            "spec.resources.requests.cpu: 2 is more than the limit 1",
        ),
        (
            {"sink": {"type": "pubsub", "pubsub": {"topic": "goog-events"}}},
            "spec.sink.pubsub.topic: 'goog-events' is not a Pub/Sub topic ID",
        ),
        (
            {"sink": {"type": "gcs", "gcs": {"bucket": "acme-google-raw"}}},
            "spec.sink.gcs.bucket: 'acme-google-raw' is not a Cloud Storage bucket name",
        ),
        (
            {"sink": {"type": "gcs", "gcs": {"bucket": "192.168.5.4"}}},
            "it reads as an IP address",
        ),
        ({"resources": {"limits": {"gpu": 1}}}, "gpu: not a container resource"),
    ],
)
def test_what_only_the_operator_can_check_is_invalid_spec_and_nothing_runs(
    operator: RunningOperator, edit: dict[str, Any], message: str
) -> None:
    operator.apply(stream(**edit))
    ready = operator.wait_not_ready("orders-stream", "Invalid", "InvalidSpec", SAY_WITHIN)
    assert message in ready["message"]
    assert operator.get("deployment", "orders-stream") is None
    row = table_row(operator.kubectl("get", "evgen", "orders-stream"))
    assert (row["PHASE"], row["REASON"]) == ("Invalid", "InvalidSpec")
    # The operator still serves a valid generator right after.
    operator.apply(stream("next-stream"))
    operator.wait_for(lambda: operator.get("deployment", "next-stream"), "next-stream runs")


def quota(operator: RunningOperator, deployments: int) -> None:
    operator.apply(
        {
            "apiVersion": "v1",
            "kind": "ResourceQuota",
            "metadata": {"name": "no-deployments"},
            "spec": {"hard": {"count/deployments.apps": str(deployments)}},
        }
    )

    def counted() -> bool:
        found = operator.get("resourcequota", "no-deployments")
        return bool(found and (found.get("status") or {}).get("hard"))

    operator.wait_for(counted, "the quota controller to count deployments")


def warning_events(operator: RunningOperator, reason: str) -> list[dict[str, Any]]:
    events = json.loads(operator.kubectl("get", "events", "-o", "json"))["items"]
    return [e for e in events if e.get("reason") == reason and e.get("type") == "Warning"]


def test_a_child_the_api_server_refuses_is_said_in_the_status_and_retried_until_fixed(
    operator: RunningOperator,
) -> None:
    quota(operator, 0)  # the server answers 403 "exceeded quota" to every new Deployment
    operator.apply(stream())
    ready = operator.wait_not_ready("orders-stream", "Rejected", "ChildRejected", SAY_WITHIN)
    assert ready["message"].startswith("Deployment orders-stream: ")
    assert "exceeded quota" in ready["message"] and len(ready["message"]) <= 300
    row = table_row(operator.kubectl("get", "evgen", "orders-stream"))
    assert (row["PHASE"], row["REASON"]) == ("Rejected", "ChildRejected")
    operator.wait_for(lambda: warning_events(operator, "ChildRejected"), "a Warning event")
    time.sleep(12)  # long enough for two retries at 5 s and 10 s
    log = operator.log_text()
    refusals = [line for line in log.splitlines() if "refused by the API server (403)" in line]
    assert 2 <= len(refusals) <= 3, refusals  # once per backoff step, not every 5 s
    assert "retrying in 5 s" in refusals[0] and "retrying in 10 s" in refusals[1]
    assert len(warning_events(operator, "ChildRejected")) == 1  # one event, not one per retry
    # Fixed outside the spec, then any spec edit retries at once (the backoff is at 20 s).
    operator.kubectl("delete", "resourcequota", "no-deployments")
    operator.patch_spec("orders-stream", rate=200)
    started = time.monotonic()
    operator.wait_status(
        "orders-stream",
        lambda s: condition(s, "Ready").get("reason") == "ReplicasNotReady",
        "the rejection cleared",
        timeout=SAY_WITHIN,
    )
    assert time.monotonic() - started < SAY_WITHIN
    assert operator.get("deployment", "orders-stream") is not None
    status = operator.get("evgen", "orders-stream")["status"]
    assert "reason" not in status
    annotations = operator.get("evgen", "orders-stream")["metadata"].get("annotations") or {}
    leftovers = [key for key in annotations if "generator_changed" in key]
    assert leftovers == [], annotations  # no retry state left in the object
