"""A stream's timestamps stay on the wall clock, across rate rises and drops."""

from __future__ import annotations

import datetime as dt
import threading
import time

import orjson
import pytest

from eventgen.bounds import MAX_STEERING_FACTOR
from eventgen.runtime.metrics import Metrics
from eventgen.runtime.pacing import Pacer
from eventgen.runtime.runner import StopFlag, run_stream
from eventgen.runtime.timekeeping import (
    AHEAD_BOUND_SECONDS,
    BEHIND_BOUND_SECONDS,
    BOUNDED_FROM_RATE,
    LAG_TOLERANCE_SECONDS,
    keep_on_clock,
    steered_density,
)
from eventgen.shop.batches import EventBatch
from eventgen.shop.generation import EventStream
from eventgen.shop.options import GeneratorOptions
from eventgen.sinks.memory import MemorySink


class FakeSource:
    """A source whose event time the test sets directly."""

    def __init__(self, simulated_time: float) -> None:
        self.time = simulated_time
        self.shifted = 0.0

    @property
    def simulated_time(self) -> float:
        return self.time + self.shifted

    def shift_event_time(self, seconds: float) -> None:
        self.shifted += seconds


def test_behind_the_clock_the_events_to_come_are_shifted_forward_by_the_lag() -> None:
    source = FakeSource(simulated_time=1000.0)
    density = keep_on_clock(source, rate=500, now=1003.5)
    assert source.shifted == pytest.approx(3.5)
    assert density == 500


def test_ahead_of_the_clock_new_orders_get_denser_and_time_never_moves_back() -> None:
    source = FakeSource(simulated_time=1000.05)
    density = keep_on_clock(source, rate=500, now=1000.0)
    assert source.shifted == 0
    assert density > 500
    further = FakeSource(simulated_time=1000.1)
    assert keep_on_clock(further, rate=500, now=1000.0) > density


def test_on_the_clock_nothing_changes() -> None:
    source = FakeSource(simulated_time=1000.0)
    density = keep_on_clock(source, rate=500, now=1000.0 + LAG_TOLERANCE_SECONDS / 2)
    assert source.shifted == 0
    assert density == 500


def test_the_steering_is_bounded() -> None:
    assert steered_density(100, lead_seconds=3600) == pytest.approx(100 * MAX_STEERING_FACTOR)
    assert steered_density(100, lead_seconds=-3600) == 100


def test_shifting_event_time_moves_timestamps_and_keeps_sequences() -> None:
    start = dt.datetime(2026, 1, 1, tzinfo=dt.UTC)
    options = GeneratorOptions(seed=3, start=start, events_per_second=100)
    plain, shifted = EventStream(options, "g"), EventStream(options, "g")
    first = [orjson.loads(p) for p in plain.next_batch(200).payloads]
    shifted.shift_event_time(60.0)
    second = [orjson.loads(p) for p in shifted.next_batch(200).payloads]
    for a, b in zip(first, second, strict=True):
        moved = dt.datetime.fromisoformat(b["event_timestamp"]) - dt.datetime.fromisoformat(
            a["event_timestamp"]
        )
        assert moved == dt.timedelta(seconds=60)
        assert (a["event_id"], a["sequence"]) == (b["event_id"], b["sequence"])
    assert shifted.simulated_time == pytest.approx(plain.simulated_time + 60)
    with pytest.raises(ValueError, match=">= 0"):
        shifted.shift_event_time(-1.0)


class LagRecorder:
    """Notes, per write, the wall time and the event timestamps it carried."""

    def __init__(self) -> None:
        self.lags: list[tuple[float, float]] = []  # (seconds since start, lag in seconds)
        self.started = time.time()
        self.orders: dict[str, float] = {}
        self.out_of_order = 0

    def write(self, batch: EventBatch) -> None:
        now = time.time()
        for payload in batch.payloads:
            event = orjson.loads(payload)
            stamp = dt.datetime.fromisoformat(event["event_timestamp"]).timestamp()
            self.lags.append((now - self.started, now - stamp))
            previous = self.orders.get(event["order_id"])
            if previous is not None and stamp < previous:
                self.out_of_order += 1
            self.orders[event["order_id"]] = stamp


@pytest.mark.slow
def test_timestamps_track_the_wall_clock_through_a_rise_and_a_drop() -> None:
    # Before this was kept, a rise 200 -> 2,000/s put timestamps ~10 s in the future
    # within 14 s, and a drop left them falling behind.
    options = GeneratorOptions(seed=11, start=dt.datetime.now(dt.UTC), events_per_second=200)
    source = EventStream(options, "clocked")
    source.next_batch(0)  # the open orders are simulated before pacing starts, as the CLI does
    pacer, lags, stop = Pacer(200), LagRecorder(), StopFlag()
    sink = MemorySink(on_write=lags.write, keep=False)

    def ramp() -> None:
        for delay, rate in ((3, 2_000.0), (5, 50.0), (5, None)):
            time.sleep(delay)
            if rate is None:
                stop.event.set()
            else:
                pacer.set_rate(rate)

    threading.Thread(target=ramp, daemon=True).start()
    run_stream(
        source, sink, pacer, location="memory", metrics=Metrics(), stop=stop, wall_clock=time.time
    )
    settled = [lag for at, lag in lags.lags if at > 0.5]
    assert len(settled) > 10_000
    worst = max(settled, key=abs)
    assert abs(worst) < 1.0, f"an event stamped {worst:+.2f} s away from when it was sent"
    assert lags.out_of_order == 0, "an order's steps must stay in order"


class SimulatedTime:
    """Wall and monotonic clock in one, advanced only by the pacer's sleeps; rate changes
    and the stop happen at given simulated seconds, so a run is exact and repeatable."""

    def __init__(self, start: float, changes: list[tuple[float, float]], end: float) -> None:
        self.start = self.now = start
        self.changes = sorted(changes)
        self.end = end
        self.stop = StopFlag()
        self.pacer: Pacer | None = None

    def clock(self) -> float:
        return self.now

    def sleep(self, seconds: float) -> None:
        self.now += max(seconds, 0.0)
        while self.changes and self.now - self.start >= self.changes[0][0]:
            _, rate = self.changes.pop(0)
            assert self.pacer is not None
            self.pacer.set_rate(rate)
        if self.now - self.start >= self.end:
            self.stop.set()


class StampRecorder:
    """Notes how far each event's timestamp is from the simulated moment it is written."""

    def __init__(self, time: SimulatedTime) -> None:
        self.time = time
        self.ahead = 0.0  # most seconds an event was stamped after the moment it was written
        self.behind = 0.0
        self.events = 0
        self.last_stamp: dict[str, float] = {}
        self.out_of_order = 0

    def write(self, batch: EventBatch) -> None:
        for payload in batch.payloads:
            event = orjson.loads(payload)
            stamp = dt.datetime.fromisoformat(event["event_timestamp"]).timestamp()
            self.ahead = max(self.ahead, stamp - self.time.now)
            self.behind = max(self.behind, self.time.now - stamp)
            if stamp <= self.last_stamp.get(event["order_id"], -1.0):
                self.out_of_order += 1
            self.last_stamp[event["order_id"]] = stamp
        self.events += len(batch)


@pytest.mark.parametrize(
    ("first_rate", "changes", "seconds"),
    [
        (50.0, [(5.0, 5_000.0)], 15.0),  # the reported rise: 0.89 s ahead for ~9 s before
        (200.0, [(3.0, 2_000.0), (8.0, 50.0)], 14.0),
        (5_000.0, [(4.0, BOUNDED_FROM_RATE)], 10.0),
        (BOUNDED_FROM_RATE, [(3.0, 100_000.0), (4.0, BOUNDED_FROM_RATE)], 8.0),
        (1_000.0, [(3.0, 0.0), (5.0, 1_000.0)], 8.0),  # a pause and a resume
    ],
)
def test_the_documented_timestamp_bound_holds_through_rises_and_drops_on_a_simulated_clock(
    first_rate: float, changes: list[tuple[float, float]], seconds: float
) -> None:
    start = 1_780_000_000.0
    time_ = SimulatedTime(start, changes, seconds)
    options = GeneratorOptions(
        seed=11, start=dt.datetime.fromtimestamp(start, dt.UTC), events_per_second=first_rate
    ).model_copy(update={"daily_profile": False})
    source = EventStream(options, "clocked")
    source.next_batch(0)  # the open orders, simulated before pacing starts, as the CLI does
    pacer = Pacer(first_rate, clock=time_.clock, sleep=time_.sleep)
    time_.pacer = pacer
    stamps = StampRecorder(time_)
    run_stream(
        source,
        MemorySink(on_write=stamps.write, keep=False),
        pacer,
        location="memory",
        metrics=Metrics(),
        stop=time_.stop,
        wall_clock=time_.clock,
    )
    assert stamps.events > first_rate * 2
    assert stamps.ahead <= AHEAD_BOUND_SECONDS, f"an event stamped {stamps.ahead:.3f} s ahead"
    assert stamps.behind <= BEHIND_BOUND_SECONDS, f"an event stamped {stamps.behind:.3f} s behind"
    assert stamps.out_of_order == 0, "an order's steps must stay in order"
