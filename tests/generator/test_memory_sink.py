"""The memory sink: a real Sink the runtime's loops can drive, with honest delivery counts."""

from __future__ import annotations

import datetime as dt

import pytest

from eventgen.errors import SinkError
from eventgen.runtime.metrics import Metrics
from eventgen.runtime.runner import StopFlag, run_batch
from eventgen.shop.generation import EventStream
from eventgen.shop.options import GeneratorOptions
from eventgen.sinks.base import Sink
from eventgen.sinks.memory import MemorySink
from tests.generator.batches import make_batch


def test_it_is_a_sink_and_keeps_every_event_in_order() -> None:
    sink = MemorySink()
    assert isinstance(sink, Sink)
    sink.write(make_batch(3))
    sink.write(make_batch(2, first=3))
    assert [batch.first_sequence for batch in sink.batches] == [0, 3]
    assert sink.payloads == make_batch(5).payloads
    # Delivered bytes as a JSONL sink would count them: every line with its newline.
    assert sink.stats.snapshot() == (5, 0, len(make_batch(5).jsonl()))


def test_keep_false_counts_without_keeping() -> None:
    seen: list[int] = []
    sink = MemorySink(on_write=lambda batch: seen.append(len(batch)), keep=False)
    sink.write(make_batch(4))
    assert (sink.batches, seen, sink.stats.delivered) == ([], [4], 4)


def test_an_injected_failure_counts_the_events_as_failed() -> None:
    sink = MemorySink(fail_on_write=2)
    sink.write(make_batch(3))
    with pytest.raises(SinkError, match="write 2 failed"):
        sink.write(make_batch(4, first=3))
    assert sink.stats.snapshot()[:2] == (3, 4)
    assert len(sink.batches) == 1


def test_a_closed_sink_refuses_events_and_closing_twice_is_fine() -> None:
    sink = MemorySink()
    sink.close()
    sink.close()
    with pytest.raises(SinkError, match="after close"):
        sink.write(make_batch(1))
    assert sink.stats.failed == 1


@pytest.mark.parametrize("fail_on_write", [None, 3])
def test_the_batch_loop_reports_what_the_sink_delivered(fail_on_write: int | None) -> None:
    options = GeneratorOptions(seed=5, start=dt.datetime(2026, 1, 1, tzinfo=dt.UTC))
    sink = MemorySink(fail_on_write=fail_on_write)
    summary = run_batch(
        EventStream(options, "memory-check"),
        sink,
        500,
        location=sink.location,
        metrics=Metrics(),
        stop=StopFlag(),
        chunk=100,
    )
    kept = len(sink.payloads)
    assert summary.delivered == kept == sink.stats.delivered
    if fail_on_write is None:
        assert (summary.generated, kept, summary.error) == (500, 500, None)
    else:
        assert kept == 200 and summary.failed == 100
        assert summary.error is not None and "write 3 failed" in summary.error
    assert sink.closed
