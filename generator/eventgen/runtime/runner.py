"""The generating loops (stream and batch), graceful shutdown and the run summary.

One thread generates and writes; sinks apply back-pressure by blocking in ``write``.
SIGTERM/SIGINT set a stop flag that the loop checks between batches: generation stops,
``sink.flush`` delivers everything already generated, the summary is printed and the
process exits 0. After the first signal the default handlers are back, so a second Ctrl-C
interrupts a flush that hangs.
"""

from __future__ import annotations

import sys
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Protocol, TextIO

from eventgen.errors import SinkError
from eventgen.runtime.metrics import Metrics
from eventgen.runtime.pacing import Pacer
from eventgen.runtime.shapedpacing import ShapedPacer
from eventgen.runtime.stopping import StopFlag as StopFlag
from eventgen.runtime.stopping import stop_on_signals as stop_on_signals
from eventgen.runtime.termination import write_termination_message
from eventgen.runtime.timekeeping import keep_on_clock
from eventgen.sinks.base import Sink

if TYPE_CHECKING:
    from tqdm import tqdm

    from eventgen.shop.batches import EventBatch


class BatchSource(Protocol):
    """What the loops need from ``eventgen.shop.generation.EventStream``."""

    events_per_second: float

    @property
    def simulated_time(self) -> float: ...

    def shift_event_time(self, seconds: float) -> None: ...

    def next_batch(self, count: int) -> EventBatch: ...


@dataclass
class Summary:
    """What a run did. Counts are events; ``seconds`` is wall time of the loop and flush."""

    mode: str
    generated: int
    delivered: int
    failed: int
    bytes_written: int
    seconds: float
    location: str
    error: str | None = None

    @property
    def events_per_second(self) -> float:
        """Generated events per wall-clock second."""
        return self.generated / self.seconds if self.seconds > 0 else 0.0

    def line(self) -> str:
        """One ``key=value`` line: easy to read, easy to parse."""
        return (
            f"eventgen: {self.mode} summary: generated={self.generated} "
            f"delivered={self.delivered} failed={self.failed} bytes={self.bytes_written} "
            f"seconds={self.seconds:.2f} events_per_second={self.events_per_second:.0f} "
            f"output={self.location}"
        )


class Loop:
    """Shared plumbing of the two modes: timing, metrics, the write, the final flush."""

    def __init__(self, mode: str, sink: Sink, location: str, metrics: Metrics) -> None:
        self.mode = mode
        self.sink = sink
        self.location = location
        self.metrics = metrics
        self.generated = 0
        self.started = time.monotonic()
        metrics.sink_stats = sink.stats

    def emit(self, source: BatchSource, count: int) -> int:
        """Generate ``count`` events and write them; return how many were generated."""
        batch = source.next_batch(count)
        produced = len(batch)
        self.generated += produced
        self.metrics.generated.inc(produced)
        began = time.perf_counter()
        self.sink.write(batch)
        self.metrics.write_seconds.observe(time.perf_counter() - began)
        return produced

    def finish(self, flush_timeout: float, error: SinkError | None) -> Summary:
        """Flush and close the sink (unless it already failed) and summarise."""
        message = str(error) if error else None
        if error is None:
            began = time.perf_counter()
            try:
                self.sink.flush(flush_timeout)
            except SinkError as flush_error:
                message = str(flush_error)
            self.metrics.flush_seconds.observe(time.perf_counter() - began)
        try:
            self.sink.close()
        except SinkError as close_error:
            message = message or str(close_error)
        if message:
            self.metrics.set_failed(message)
        self.metrics.beat(False)
        delivered, failed, written = self.sink.stats.snapshot()
        return Summary(
            mode=self.mode,
            generated=self.generated,
            delivered=delivered,
            failed=failed,
            bytes_written=written,
            seconds=time.monotonic() - self.started,
            location=self.location,
            error=message,
        )


def run_stream(
    source: BatchSource,
    sink: Sink,
    pacer: Pacer | ShapedPacer,
    *,
    location: str,
    metrics: Metrics,
    stop: StopFlag,
    max_events: int | None = None,
    duration: float | None = None,
    flush_timeout: float = 30.0,
    wall_clock: Callable[[], float] | None = None,
) -> Summary:
    """Generate at the pacer's (live) rate until ``max_events``, ``duration`` seconds or a stop.

    The source's ``events_per_second`` follows the target rate. With ``wall_clock`` (Unix
    seconds), it is also steered by how far event time has drifted from that clock, so
    timestamps track wall time across rate changes (see eventgen.runtime.timekeeping); without it
    (a replay from a fixed start) event time depends only on the rate. While paused
    (rate 0) nothing is generated.
    """
    loop = Loop("stream", sink, location, metrics)
    deadline = loop.started + duration if duration is not None else None
    error: SinkError | None = None
    applied_rate = -1.0
    dropped_seen = pacer.dropped_seconds
    try:
        while not stop.is_set():
            metrics.beat()
            if deadline is not None and time.monotonic() >= deadline:
                break
            if max_events is not None and loop.generated >= max_events:
                break
            rate = pacer.rate
            if rate != applied_rate:
                applied_rate = rate
                metrics.target_rate.set(rate)
            count = pacer.acquire()
            if pacer.dropped_seconds != dropped_seen:
                metrics.schedule_dropped_seconds.inc(pacer.dropped_seconds - dropped_seen)
                dropped_seen = pacer.dropped_seconds
            if count == 0:
                continue
            if max_events is not None:
                count = min(count, max_events - loop.generated)
            if rate > 0:
                # The one writer of the source's density: the rate, steered onto the clock
                # when the stream keeps to it.
                now = None if wall_clock is None else wall_clock()
                density = rate if now is None else keep_on_clock(source, rate, now)
                source.events_per_second = density
            loop.emit(source, count)
    except SinkError as failure:
        error = failure
    return loop.finish(flush_timeout, error)


def run_batch(
    source: BatchSource,
    sink: Sink,
    total: int,
    *,
    location: str,
    metrics: Metrics,
    stop: StopFlag,
    chunk: int = 10_000,
    progress: tqdm[None] | None = None,
    flush_timeout: float = 300.0,
) -> Summary:
    """Generate exactly ``total`` events in chunks of ``chunk`` (fewer if stopped early)."""
    loop = Loop("batch", sink, location, metrics)
    error: SinkError | None = None
    try:
        while loop.generated < total and not stop.is_set():
            metrics.beat()
            produced = loop.emit(source, min(chunk, total - loop.generated))
            if progress is not None:
                progress.update(produced)
    except SinkError as failure:
        error = failure
    finally:
        if progress is not None:
            progress.close()
    return loop.finish(flush_timeout, error)


def report(summary: Summary, stream: TextIO | None = None) -> int:
    """Print the summary (and the error, if any) to stderr; return the exit code."""
    out = stream if stream is not None else sys.stderr
    if summary.error:
        line = f"eventgen: error: {summary.error}"
        print(line, file=out)
        # In a container, also where Kubernetes keeps why it stopped (the operator reports
        # it as GeneratorFailing); a sink that fails mid-run is the commonest such reason.
        write_termination_message(line)
    print(summary.line(), file=out, flush=True)
    return 1 if summary.error else 0
