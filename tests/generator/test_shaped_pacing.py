"""Pacing along a curve on a simulated clock: every 1-minute window within 1 % of the curve."""

from __future__ import annotations

from typing import Any

import pytest

from eventgen.runtime.shapedpacing import ShapedPacer
from eventgen.shape.curve import Curve
from eventgen.shape.document import parse_shape
from tests.support.clock import SimulatedClock

START = 1_795_392_000.0  # Monday 2026-11-23 00:00 UTC


def drive(
    pacer: ShapedPacer, clock: SimulatedClock, until: float, work: float
) -> list[tuple[float, int]]:
    emitted: list[tuple[float, int]] = []
    while clock.now - 1000.0 + START < until:
        n = pacer.acquire()
        if n:
            emitted.append((clock.now - 1000.0 + START, n))
            clock.now += work
    return emitted


DAY_WITH_A_SALE = {
    "daily": True,
    "timeScale": 96,  # a day in 15 minutes
    "bursts": [{"at": "20:00", "every": "day", "durationSeconds": 3600, "factor": 3}],
}


def pacer_for(document: Any, base: float, clock: SimulatedClock) -> ShapedPacer:
    curve = Curve(parse_shape(document, "test"), utc_offset_hours=0, anchor=START)
    return ShapedPacer(base, curve, clock=clock, sleep=clock.sleep, wall=START)


@pytest.mark.parametrize("base", [50.0, 2_000.0, 40_000.0])
def test_every_minute_of_a_compressed_day_with_a_sale_is_within_1_percent(base: float) -> None:
    clock = SimulatedClock()
    pacer = pacer_for(DAY_WITH_A_SALE, base, clock)
    emitted = drive(pacer, clock, START + 15 * 60, work=0.004)
    curve = pacer.curve
    for minute in range(15):
        begin = START + minute * 60
        expected = base * curve.integral(begin, begin + 60)
        got = sum(n for t, n in emitted if begin <= t < begin + 60)
        assert got == pytest.approx(expected, rel=0.01, abs=2), minute
    assert pacer.dropped_seconds == 0


def test_a_ramp_is_smooth_batch_by_batch_and_never_early() -> None:
    clock = SimulatedClock()
    document = {"stages": [{"factor": 10, "durationSeconds": 60, "ramp": True}]}
    pacer = pacer_for(document, 1_000.0, clock)
    emitted = drive(pacer, clock, START + 60, work=0.002)
    total = 0
    for t, n in emitted:
        total += n
        # No event before it is due: the count so far never exceeds the integral.
        assert total <= 1_000.0 * pacer.curve.integral(START, t) + 1
    for s in range(0, 55, 5):
        # Each 5 s carries the rate at its middle: 1000 x (1 + 9 (s + 2.5) / 60), x 5,
        # give or take one batch (50 ms of events).
        got = sum(n for t, n in emitted if s <= t - START < s + 5)
        assert got == pytest.approx(5000 * (1 + 9 * (s + 2.5) / 60), rel=0.02)


def test_a_live_base_or_shape_change_applies_from_that_moment() -> None:
    clock = SimulatedClock()
    pacer = pacer_for({}, 1_000.0, clock)
    first = drive(pacer, clock, START + 10, work=0.001)
    pacer.set_rate(3_000.0)
    second = drive(pacer, clock, START + 20, work=0.001)
    pacer.set_curve(
        Curve(
            parse_shape({"stages": [{"factor": 0.5, "durationSeconds": 99}]}, "t"),
            anchor=START + 20,
        )
    )
    third = drive(pacer, clock, START + 30, work=0.001)
    assert sum(n for _, n in first) == pytest.approx(10_000, abs=60)
    assert sum(n for _, n in second) == pytest.approx(30_000, abs=160)
    assert sum(n for _, n in third) == pytest.approx(15_000, abs=160)


def test_a_shape_of_zero_pauses_and_resumes_without_a_burst() -> None:
    clock = SimulatedClock()
    document = {
        "stages": [{"factor": 0, "durationSeconds": 10}, {"factor": 1, "durationSeconds": 10}]
    }
    pacer = pacer_for(document, 500.0, clock)
    emitted = drive(pacer, clock, START + 20, work=0.001)
    assert sum(n for t, n in emitted if t < START + 10) == 0
    assert sum(n for t, n in emitted) == pytest.approx(5_000, abs=30)


def test_a_sink_that_cannot_keep_up_drops_the_backlog_instead_of_bursting() -> None:
    clock = SimulatedClock()
    pacer = pacer_for({}, 10_000.0, clock)
    emitted = drive(pacer, clock, START + 10, work=0.2)  # 500 events take 0.2 s: 2,500/s
    assert pacer.dropped_seconds > 5
    assert max(n for _, n in emitted) <= 500
