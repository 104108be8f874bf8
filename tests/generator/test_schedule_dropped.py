"""``eventgen_schedule_dropped_seconds_total``: schedule a slow sink made the stream skip."""

from __future__ import annotations

import datetime as dt
import itertools
from collections.abc import Callable

from prometheus_client import generate_latest

from eventgen.runtime.metrics import Metrics
from eventgen.runtime.pacing import Pacer
from eventgen.runtime.runner import StopFlag, run_stream
from eventgen.shop.batches import EventBatch
from eventgen.shop.generation import EventStream
from eventgen.shop.options import GeneratorOptions
from eventgen.sinks.memory import MemorySink
from tests.support.clock import SimulatedClock

RATE = 200.0


def stall_at_write(
    clock: SimulatedClock, number: int, stall: float
) -> Callable[[EventBatch], None]:
    """A write hook: write ``number`` (from 1) takes ``stall`` seconds of the clock."""
    writes = itertools.count(1)

    def stall_once(batch: EventBatch) -> None:
        if next(writes) == number:
            clock.now += stall

    return stall_once


def exposed(metrics: Metrics, name: str) -> float:
    for line in generate_latest(metrics.registry).decode().splitlines():
        if line.startswith(name + " "):
            return float(line.split()[1])
    raise AssertionError(f"{name} not exposed")


def stream_with_stall(stall: float) -> tuple[Metrics, Pacer]:
    clock = SimulatedClock()
    pacer = Pacer(RATE, clock=clock, sleep=clock.sleep)
    options = GeneratorOptions(start=dt.datetime(2026, 1, 1, tzinfo=dt.UTC), events_per_second=RATE)
    metrics = Metrics()
    run_stream(
        EventStream(options, "dropped-check"),
        MemorySink(on_write=stall_at_write(clock, 5, stall), keep=False),
        pacer,
        location="memory",
        metrics=metrics,
        stop=StopFlag(),
        max_events=400,
    )
    return metrics, pacer


def test_a_sink_stall_shows_as_dropped_schedule_seconds() -> None:
    metrics, pacer = stream_with_stall(4.0)
    dropped = exposed(metrics, "eventgen_schedule_dropped_seconds_total")
    # A 4 s stall against the pacer's 1 s tolerance: about 3 s of schedule skipped.
    assert 2.5 < dropped < 4.0
    assert dropped == pacer.dropped_seconds


def test_a_sink_that_keeps_up_drops_nothing() -> None:
    metrics, _ = stream_with_stall(0.5)  # within the pacer's 1 s tolerance: caught up
    assert exposed(metrics, "eventgen_schedule_dropped_seconds_total") == 0
