"""Pacing accuracy on a simulated clock: how many events leave in which time window."""

from __future__ import annotations

import pytest

from eventgen.bounds import MAX_RATE
from eventgen.errors import ConfigError
from eventgen.runtime.pacing import Pacer
from tests.support.clock import SimulatedClock


def run(
    pacer: Pacer, clock: SimulatedClock, until: float, work: float = 0.0
) -> list[tuple[float, int]]:
    """Drive the pacer until simulated time `until`; return (time, events) per batch."""
    emitted: list[tuple[float, int]] = []
    while clock.now < until:
        n = pacer.acquire()
        if n:
            emitted.append((clock.now, n))
            clock.now += work  # generation + sink time of this batch
    return emitted


def events_between(emitted: list[tuple[float, int]], start: float, end: float) -> int:
    return sum(n for t, n in emitted if start <= t < end)


@pytest.mark.parametrize("rate", [0.5, 7.0, 333.3, 2_000.0, 50_000.0, 250_000.0])
def test_every_10s_window_is_within_1_percent_of_the_rate(rate: float) -> None:
    clock = SimulatedClock()
    pacer = Pacer(rate, clock=clock, sleep=clock.sleep)
    emitted = run(pacer, clock, clock.now + 60)
    for offset in range(0, 50, 5):
        start = 1000.0 + offset
        count = events_between(emitted, start, start + 10)
        assert count == pytest.approx(rate * 10, rel=0.01, abs=1), (offset, count)


def test_no_event_leaves_before_it_is_due() -> None:
    clock = SimulatedClock()
    pacer = Pacer(1_000.0, clock=clock, sleep=clock.sleep)
    emitted = run(pacer, clock, clock.now + 5)
    total = 0
    for t, n in emitted:
        total += n
        assert total <= (t - 1000.0) * 1_000.0 + 1e-6


def test_low_rates_send_single_events_high_rates_bounded_batches() -> None:
    clock = SimulatedClock()
    slow = Pacer(5.0, clock=clock, sleep=clock.sleep)
    assert {n for _, n in run(slow, clock, clock.now + 3)} == {1}
    fast = Pacer(MAX_RATE, clock=clock, sleep=clock.sleep, max_batch=4_000)
    assert max(n for _, n in run(fast, clock, clock.now + 0.1)) == 4_000


@pytest.mark.parametrize("rate", [MAX_RATE * 1.000001, 1e12, float("nan"), -1.0])
def test_rates_above_the_bound_or_not_finite_are_refused(rate: float) -> None:
    pacer = Pacer(10.0)
    with pytest.raises(ConfigError, match="rate"):
        pacer.set_rate(rate)
    assert pacer.rate == 10.0


def test_rate_change_takes_effect_without_restart() -> None:
    clock = SimulatedClock()
    pacer = Pacer(100.0, clock=clock, sleep=clock.sleep)
    first = run(pacer, clock, 1010.0)
    pacer.set_rate(1_000.0)
    second = run(pacer, clock, 1020.0)
    assert events_between(first, 1000.0, 1010.0) == pytest.approx(1_000, rel=0.01)
    assert events_between(second, 1010.0, 1020.0) == pytest.approx(10_000, rel=0.01)


def test_rate_zero_pauses_and_resuming_sends_no_burst() -> None:
    clock = SimulatedClock()
    pacer = Pacer(200.0, clock=clock, sleep=clock.sleep)
    run(pacer, clock, 1002.0)
    pacer.set_rate(0)
    paused = run(pacer, clock, 1030.0)
    assert paused == []
    pacer.set_rate(200.0)
    resumed = run(pacer, clock, 1031.0)
    # A pause does not accrue a backlog: the next second carries one second of events.
    assert events_between(resumed, 1030.0, 1031.0) == pytest.approx(200, abs=10)


def test_a_slow_sink_gets_no_catch_up_burst() -> None:
    clock = SimulatedClock()
    pacer = Pacer(1_000.0, clock=clock, sleep=clock.sleep, max_lag=0.5)
    run(pacer, clock, 1001.0)
    clock.now += 5.0  # the sink blocked for five seconds
    after = run(pacer, clock, clock.now + 1.0)
    first_second = sum(n for _, n in after)
    assert first_second == pytest.approx(1_000, rel=0.1)
    assert pacer.dropped_seconds > 4.0


def test_a_sink_slower_than_the_rate_gets_what_it_can_take() -> None:
    clock = SimulatedClock()
    pacer = Pacer(10_000.0, clock=clock, sleep=clock.sleep)
    # Each 500-event batch takes 0.1 s to deliver: the sink tops out at 5,000 events/s.
    emitted = run(pacer, clock, clock.now + 20, work=0.1)
    assert events_between(emitted, 1005.0, 1015.0) == pytest.approx(50_000, rel=0.02)


@pytest.mark.parametrize("bad", [-1.0, float("nan"), float("inf")])
def test_invalid_rates_are_rejected(bad: float) -> None:
    with pytest.raises(ConfigError, match="must be a finite number"):
        Pacer(bad)
    pacer = Pacer(1.0)
    with pytest.raises(ConfigError):
        pacer.set_rate(bad)
    assert pacer.rate == 1.0
