"""The stream loop on the real clock: achieved rate over a 10 s window is within 1%."""

from __future__ import annotations

import datetime as dt
import time

import pytest

from eventgen.runtime.metrics import Metrics
from eventgen.runtime.pacing import Pacer
from eventgen.runtime.runner import StopFlag, run_stream
from eventgen.shop.generation import EventStream
from eventgen.shop.options import GeneratorOptions
from eventgen.sinks.memory import MemorySink


@pytest.mark.slow
def test_achieved_rate_over_10_seconds_is_within_1_percent() -> None:
    rate = 2_000.0
    options = GeneratorOptions(start=dt.datetime.now(dt.UTC), events_per_second=rate)
    source = EventStream(options, "rate-check")
    source.next_batch(1)  # warm-up (pools, first draws) outside the measured window
    writes: list[tuple[float, int]] = []  # (monotonic time, events) of every write
    sink = MemorySink(
        on_write=lambda batch: writes.append((time.monotonic(), len(batch))), keep=False
    )
    summary = run_stream(
        source,
        sink,
        Pacer(rate),
        location="memory",
        metrics=Metrics(),
        stop=StopFlag(),
        duration=12.5,
    )
    assert summary.generated == summary.delivered == sum(n for _, n in writes)
    start = writes[0][0] + 1.0
    in_window = sum(n for t, n in writes if start <= t < start + 10.0)
    assert in_window == pytest.approx(rate * 10, rel=0.01)
