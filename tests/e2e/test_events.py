"""The arithmetic the kind suite's verdicts rest on (tests/e2e/events.py), checked here
where no cluster runs."""

from __future__ import annotations

import json

import pytest

from tests.e2e import events as ev
from tests.e2e.events import (
    Received,
    generators_between,
    parse_event,
    pod_of,
    pods_between,
    rate_between,
    within,
)
from tests.e2e.scenario import audit_received


def event(generator_id: str, sequence: int, at: float) -> Received:
    return Received(generator_id, sequence, f"{generator_id}-{sequence}", at)


def test_parse_event_reads_the_accounting_fields() -> None:
    body = json.dumps(
        {"event_id": "e1", "generator_id": "g-0", "sequence": 12, "status": "paid"}
    ).encode()
    assert parse_event(body, 5.5) == Received("g-0", 12, "e1", 5.5)


@pytest.mark.parametrize(
    "body",
    [
        b"not json",
        b"[1, 2]",
        b'{"event_id": "e1", "generator_id": "g"}',
        b'{"event_id": "e1", "generator_id": "g", "sequence": "3"}',
        b'{"event_id": "e1", "generator_id": "g", "sequence": true}',
        b"\xff\xfe",
        b'INFO eventgen: started "stream"',
    ],
)
def test_parse_event_rejects_bodies_that_are_not_events(body: bytes) -> None:
    # Pod logs interleave log lines with stdout events: only events may be counted.
    assert parse_event(body, 0.0) is None


def test_rate_counts_only_events_published_inside_the_window() -> None:
    events = [event("g", i, 100.0 + i * 0.01) for i in range(1000)]  # 100/s for 10 s
    assert rate_between(events, 102.0, 107.0) == pytest.approx(100.0, rel=0.01)
    assert rate_between(events, 50.0, 60.0) == 0.0
    with pytest.raises(ValueError, match="empty window"):
        rate_between(events, 5.0, 5.0)


def test_generators_between_names_only_those_active_in_the_window() -> None:
    events = [event("old", 0, 10.0), event("a", 0, 20.0), event("b", 0, 21.0)]
    assert generators_between(events, 15.0, 25.0) == {"a", "b"}


def test_pods_between_joins_the_runs_of_a_restarted_pod() -> None:
    events = [
        event("orders-7d9f-x2x9q.20261126T120000Z", 0, 20.0),
        event("orders-7d9f-x2x9q.20261126T120031Z", 0, 21.0),  # the container restarted
        event("orders-7d9f-b8k4d.20261126T120002Z", 0, 22.0),
        event("orders-7d9f-gone1.20261126T110000Z", 9, 5.0),
    ]
    assert pods_between(events, 15.0, 25.0) == {"orders-7d9f-x2x9q", "orders-7d9f-b8k4d"}
    assert pod_of("pod.with.dots.20261126T120000Z") == "pod.with.dots"


def test_within_is_a_relative_band_around_the_target() -> None:
    assert within(120.0, 100.0, 0.2) and within(80.0, 100.0, 0.2)
    assert not within(121.0, 100.0, 0.2) and not within(79.0, 100.0, 0.2)


def test_the_audit_finds_gaps_and_allows_redeliveries() -> None:
    events = [event("a", s, 0.0) for s in (0, 1, 1, 2, 3)] + [event("b", s, 0.0) for s in (0, 2, 5)]
    verdict = audit_received(events)
    assert not verdict.complete
    by_id = {g.generator_id: g for g in verdict.generators}
    assert (by_id["a"].expected, by_id["a"].seen, by_id["a"].missing) == (4, 4, 0)
    assert (by_id["b"].expected, by_id["b"].seen, by_id["b"].missing) == (6, 3, 3)
    assert verdict.doubled == 1
    assert audit_received([e for e in events if e.generator_id == "a"]).complete


def test_a_stream_that_never_started_at_zero_is_reported_missing() -> None:
    # A restarted pod with a fresh generator_id would start at 0; one whose early events were
    # lost starts higher, and that must not pass as complete.
    verdict = audit_received([event("late", s, 0.0) for s in (5, 6, 7)])
    assert not verdict.complete and verdict.missing == 5


def test_a_lost_tail_shows_only_against_the_count_the_pod_reported() -> None:
    events = [event("p.1", s, 0.0) for s in range(10)]
    assert audit_received(events).complete
    assert not audit_received(events, expected_events=12).complete
    assert audit_received(events, expected_events=10).complete


def _times(rate: float, start: float, end: float) -> list[float]:
    step = 1.0 / rate
    count = round((end - start) * rate)
    return [start + i * step for i in range(count)]


def test_settle_delay_is_when_the_trailing_second_reaches_the_target() -> None:
    # 1,000/s until t=10, an edit at 10, the new rate (4,000/s) from 12.5 on.
    times = _times(1000, 0, 12.5) + _times(4000, 12.5, 30)
    delay = ev.settle_delay(times, 10.0, 4000, 30.0)
    assert delay is not None and 3.4 <= delay <= 3.6


def test_settle_delay_is_none_when_the_target_is_never_reached() -> None:
    times = _times(1000, 0, 30)
    assert ev.settle_delay(times, 10.0, 2000, 30.0) is None


def test_settle_delay_to_zero_is_the_last_event_after_the_edit() -> None:
    times = _times(1000, 0, 11.2)
    delay = ev.settle_delay(times, 10.0, 0, 30.0)
    assert delay is not None and abs(delay - 1.2) < 0.01
    assert ev.settle_delay(_times(1000, 0, 9), 10.0, 0, 30.0) == 0.0
