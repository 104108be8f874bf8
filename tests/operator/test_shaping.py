"""Shaped streams in the operator: replicas for the coming window's peak, the shape in the
live ConfigMap, status with the rate now and the next change (no server: MemoryKubeApi)."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from eventgen_operator.config import OperatorConfig
from eventgen_operator.errors import InvalidSpecError
from eventgen_operator.kubeapi import CONFIGMAPS, DEPLOYMENTS
from eventgen_operator.memory_kubeapi import MemoryKubeApi
from eventgen_operator.reconciling import Reconciler
from eventgen_operator.shaping import REPLAN_SECONDS, plan_shaped
from tests.operator.builders import add_generator, batch, edit_spec, status_of, streaming

CREATED = datetime(2026, 11, 23, tzinfo=UTC)  # a Monday, midnight UTC
SALE = {"bursts": [{"at": "20:00", "every": "day", "durationSeconds": 1800, "factor": 5}]}


def at(hours: float, minutes: float = 0) -> datetime:
    return CREATED + timedelta(hours=hours, minutes=minutes)


def test_replicas_rise_five_minutes_ahead_of_a_peak_and_fall_after_it() -> None:
    spec = streaming(rate=4000, maxRatePerReplica=5000, shape=SALE, events={"locale": "en_GB"})
    quiet = plan_shaped(spec, CREATED, at(19, 50))
    ahead = plan_shaped(spec, CREATED, at(19, 56))
    during = plan_shaped(spec, CREATED, at(20, 10))
    after = plan_shaped(spec, CREATED, at(20, 31))
    assert [p.streaming.replicas for p in (quiet, ahead, during, after)] == [1, 4, 4, 1]
    # Each pod's base is spec.rate / replicas; at the peak a pod runs 20,000 / 4 = 5,000/s.
    assert ahead.streaming.rate_per_replica == 1000
    assert (ahead.current_rate, during.current_rate) == (4000, 20000)
    assert ahead.next_change is not None
    assert ahead.next_change.at == at(20).timestamp()
    assert ahead.next_change.factor == 20000  # the rate it changes to


def test_stages_without_a_start_are_anchored_at_the_creation_for_every_plan() -> None:
    shape = {
        "stages": [{"factor": 1, "durationSeconds": 600}, {"factor": 3, "durationSeconds": 60}]
    }
    spec = streaming(rate=100, shape=shape)
    early, late = plan_shaped(spec, CREATED, at(0, 6)), plan_shaped(spec, CREATED, at(0, 11))
    assert json.loads(early.document)["start"] == "2026-11-23T00:00:00Z"
    assert early.document == late.document
    assert (early.current_rate, late.current_rate) == (100, 300)
    assert early.sized_for_rate == 300  # the step at 10 min is inside the window
    assert late.next_change is None
    assert late.replan_in == REPLAN_SECONDS


def test_a_shaped_generator_gets_the_shape_in_its_configmap_and_the_plan_in_its_status() -> None:
    api = MemoryKubeApi(clock=lambda: CREATED)  # created at midnight
    add_generator(api, rate=4000, maxRatePerReplica=5000, shape=SALE, events={"locale": "en_GB"})
    now = [at(19, 56)]
    reconciler = Reconciler(api, OperatorConfig(), clock=lambda: now[0])
    outcome = reconciler.reconcile("shop", "orders")
    assert outcome is not None and outcome.replan_in == REPLAN_SECONDS
    live = api.get(CONFIGMAPS, "shop", "orders-live")
    deployment = api.get(DEPLOYMENTS, "shop", "orders")
    assert live is not None and deployment is not None
    assert live["data"]["ratePerReplica"] == "1000"
    assert json.loads(live["data"]["shape"])["bursts"][0]["factor"] == 5
    assert deployment["spec"]["replicas"] == 4
    status = status_of(api)
    assert status["targetRate"] == 4000
    assert status["shape"] == {
        "currentRate": 4000,
        "sizedForRate": 20000,
        "nextChangeTime": "2026-11-23T20:00:00Z",
        "nextRate": 20000,
    }
    # The shape removed: the key leaves the ConfigMap, the status shows the flat rate.
    edit_spec(api, shape=None)
    reconciler.reconcile("shop", "orders")
    live = api.get(CONFIGMAPS, "shop", "orders-live")
    assert live is not None and "shape" not in live["data"]
    status = status_of(api)
    assert "shape" not in status and status["targetRate"] == 4000


@pytest.mark.parametrize(
    ("fields", "says"),
    [
        ({"shape": {"stages": [{"factor": -1, "durationSeconds": 5}]}},
         "spec.shape.stages[0].factor"),
        ({"shape": {"bursts": [{"at": "20:00", "factor": 2, "durationSeconds": 5}]}},
         "spec.shape.bursts[0]"),
        ({"shape": {"timeScale": 0}}, "spec.shape.timeScale"),
        ({"shape": {"dayly": True}}, "spec.shape.dayly: Extra inputs"),
        ({"rate": 1_000_000, "maxRatePerReplica": 5000, "shape": {"bursts": [
            {"at": "20:00", "every": "day", "factor": 10, "durationSeconds": 60}]}},
         "more than 1000 replicas"),
    ],
)  # fmt: skip
def test_bad_shapes_are_invalid_specs_naming_the_field(fields: dict[str, Any], says: str) -> None:
    with pytest.raises(InvalidSpecError) as raised:
        streaming(**fields)
    assert says in str(raised.value)


def test_a_batch_with_a_shape_is_refused() -> None:
    with pytest.raises(InvalidSpecError, match=r"spec\.shape is for streaming"):
        batch(shape={"daily": True})
