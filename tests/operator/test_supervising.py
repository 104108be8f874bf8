"""Refused children, outages and resyncs, as the supervisor handles them (no server).

The reconciler runs for real against `MemoryKubeApi`, a dict-backed Kubernetes API that can
refuse a kind of child or stop answering.
"""

from __future__ import annotations

import logging
from typing import Any, cast

import pytest

from eventgen_operator.config import OperatorConfig
from eventgen_operator.kubeapi import DEPLOYMENTS, EVENTGENERATORS
from eventgen_operator.memory_kubeapi import MemoryKubeApi
from eventgen_operator.reconciling import Reconciler
from eventgen_operator.scheduling import Backoff, Scheduler, resync_delay
from eventgen_operator.supervising import PROBE, Supervisor
from tests.operator.builders import add_generator, status_of
from tests.operator.running import condition

Events = list[tuple[str, str, bool]]


def supervised(api: MemoryKubeApi, events: Events | None = None) -> Supervisor:
    def notify(body: Any, reason: str, message: str, warning: bool) -> None:
        if events is not None:
            events.append((reason, message, warning))

    reconciler = Reconciler(api, OperatorConfig(), notify=notify)
    # Not started: tests look at the schedule instead of waiting for it.
    return Supervisor(reconciler, api, backoff=Backoff(first=5, cap=40))


REFUSAL = (
    'Deployment.apps "orders" is invalid: spec.template.spec.containers[0].resources.requests: '
    + "Invalid value: " * 40
)


def test_a_refused_child_says_why_in_the_status_with_one_warning_event() -> None:
    api, events = MemoryKubeApi(), cast(Events, [])
    add_generator(api, "orders")
    api.refuse(DEPLOYMENTS, 422, REFUSAL)
    supervisor = supervised(api, events)
    supervisor.spec_changed("shop", "orders")
    seen = status_of(api, "orders")
    ready = condition(seen, "Ready")
    assert seen["phase"] == "Rejected"
    assert (ready["status"], ready["reason"]) == ("False", "ChildRejected")
    assert ready["message"].startswith('Deployment orders: Deployment.apps "orders" is invalid')
    assert len(ready["message"]) <= 300 and ready["message"].endswith("...")
    assert condition(seen, "Degraded")["reason"] == "ChildRejected"
    assert [(reason, warning) for reason, _, warning in events] == [("ChildRejected", True)]
    # The same refusal again: no second event.
    supervisor.child_changed("shop", "orders")
    assert len(events) == 1


def test_refusals_are_retried_with_a_growing_capped_delay_logged_once_per_step(
    caplog: pytest.LogCaptureFixture,
) -> None:
    api = MemoryKubeApi()
    add_generator(api, "orders")
    api.refuse(DEPLOYMENTS, 403, "exceeded quota: compute")
    supervisor = supervised(api)
    delays = []
    with caplog.at_level(logging.INFO, logger="eventgen_operator"):
        supervisor.spec_changed("shop", "orders")
        for _ in range(6):
            due = supervisor.scheduler.due_in(("shop", "orders"))
            assert due is not None
            delays.append(round(due))
            supervisor.child_changed("shop", "orders")  # as the scheduled retry would
    assert delays == [5, 10, 20, 40, 40, 40]
    lines = [r.getMessage() for r in caplog.records if r.name == "eventgen_operator"]
    assert len(lines) == 7
    assert all("refused by the API server (403): exceeded quota" in line for line in lines)
    assert lines[0].endswith("retrying in 5 s") and lines[-1].endswith("retrying in 40 s")


def test_a_spec_edit_retries_at_once_and_restarts_the_backoff() -> None:
    api = MemoryKubeApi()
    add_generator(api, "orders")
    api.refuse(DEPLOYMENTS, 422, "invalid")
    supervisor = supervised(api)
    for _ in range(4):
        supervisor.child_changed("shop", "orders")
    assert supervisor.retry_state() == {("shop", "orders"): 4}
    supervisor.spec_changed("shop", "orders")  # the edit runs now, not in 40 s
    assert supervisor.retry_state() == {("shop", "orders"): 1}
    due = supervisor.scheduler.due_in(("shop", "orders"))
    assert due is not None and round(due) == 5


def test_once_the_child_is_accepted_the_condition_clears_and_no_retry_state_is_left() -> None:
    api, events = MemoryKubeApi(), cast(Events, [])
    add_generator(api, "orders")
    api.refuse(DEPLOYMENTS, 422, "invalid")
    supervisor = supervised(api, events)
    supervisor.spec_changed("shop", "orders")
    api.accept(DEPLOYMENTS)
    supervisor.child_changed("shop", "orders")
    seen = status_of(api, "orders")
    assert seen["phase"] == "Pending"
    assert condition(seen, "Ready")["reason"] == "ReplicasNotReady"
    assert condition(seen, "Degraded")["status"] == "False"
    assert supervisor.retry_state() == {}
    assert api.get(DEPLOYMENTS, "shop", "orders") is not None
    due = supervisor.scheduler.due_in(("shop", "orders"))
    assert due is not None and 0 < due <= 60  # back on the resync schedule
    assert [reason for reason, _, _ in events] == ["ChildRejected", "Pending"]


def test_an_outage_is_two_log_lines_whatever_the_number_of_generators(
    caplog: pytest.LogCaptureFixture,
) -> None:
    api = MemoryKubeApi()
    names = [f"gen-{index}" for index in range(150)]
    for name in names:
        add_generator(api, name)
    supervisor = supervised(api)
    for name in names:
        supervisor.spec_changed("shop", name)
    with caplog.at_level(logging.INFO):
        api.down = True
        for name in names:  # every trigger during the outage
            supervisor.child_changed("shop", name)
        for name in names:
            supervisor.spec_changed("shop", name)
        assert supervisor.scheduler.due_in(PROBE) is not None
        assert supervisor._scheduled(PROBE) == 1.0  # the probe fails: again in a second
        # A generator deleted meanwhile is hand-edited back after the return:
        api.down = False
        api.delete(DEPLOYMENTS, "shop", "gen-7")
        assert supervisor._scheduled(PROBE) is None  # the probe succeeds
        for name in names:  # everyone is due at once
            due = supervisor.scheduler.due_in(("shop", name))
            assert due is not None and due <= 0
            supervisor._scheduled(("shop", name))
    lines = [r.getMessage() for r in caplog.records]
    assert len(lines) == 3, lines
    assert lines[0].startswith("Kubernetes API unreachable (")
    assert lines[1].startswith("Kubernetes API reachable again after ")
    assert lines[1].endswith("reconciling 150 generator(s)")
    assert lines[2] == "restored Deployment gen-7 of shop/gen-7"
    assert not any(r.exc_info for r in caplog.records)
    assert supervisor.retry_state() == {}


def test_a_deleted_generator_leaves_no_schedule() -> None:
    api = MemoryKubeApi()
    add_generator(api, "orders")
    supervisor = supervised(api)
    supervisor.spec_changed("shop", "orders")
    api.delete(EVENTGENERATORS, "shop", "orders")
    supervisor.child_changed("shop", "orders")
    assert supervisor.scheduler.keys() == []


def test_resyncs_of_many_generators_are_spread_over_the_interval() -> None:
    delays = [resync_delay(f"shop/gen-{index}", 60.0, now=1000.0) for index in range(200)]
    assert all(0 < delay <= 60 for delay in delays)
    per_second = [0] * 60
    for delay in delays:
        per_second[int(delay) % 60] += 1
    # 200 over 60 seconds: about 3 a second, never a burst.
    assert max(per_second) <= 12, per_second
    # And a generator keeps its second: the next delay, a minute later, is the same.
    assert resync_delay("shop/gen-1", 60.0, 1000.0) == pytest.approx(
        resync_delay("shop/gen-1", 60.0, 1060.0)
    )


def test_the_scheduler_runs_due_keys_and_keeps_the_sooner_time() -> None:
    import threading

    ran: list[str] = []
    done = threading.Event()

    def run(key: object) -> float | None:
        ran.append(str(key))
        if len(ran) == 2:
            done.set()
        return None

    scheduler = Scheduler(run)
    scheduler.at("late", 30)
    scheduler.at("late", 0.05)  # sooner wins
    scheduler.at("soon", 0.0)
    scheduler.at("soon", 30)  # later is ignored
    scheduler.start()
    try:
        assert done.wait(10)
    finally:
        scheduler.stop()
    assert sorted(ran) == ["late", "soon"]


def test_backoff_doubles_and_caps() -> None:
    backoff = Backoff(first=5, cap=300)
    assert [backoff.delay(n) for n in range(8)] == [5, 10, 20, 40, 80, 160, 300, 300]
    assert backoff.delay(10_000) == 300
