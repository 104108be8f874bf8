"""Prometheus ``/metrics`` and a ``/healthz`` probe, served from a daemon thread.

Counts come from the runtime (generated) and from the sink's :class:`DeliveryStats`
(delivered, failed), read at scrape time so the numbers a scrape shows are the sink's
own. Each :class:`Metrics` has its own registry, so several can coexist in one process.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import TYPE_CHECKING, Any

from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram, generate_latest
from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily
from prometheus_client.exposition import CONTENT_TYPE_LATEST

from eventgen.sinks.base import DeliveryStats

if TYPE_CHECKING:
    from eventgen.runtime.shapedpacing import ShapedPacer

LATENCY_BUCKETS = (0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10)
"""Seconds; sink writes range from sub-millisecond (files) to seconds (uploads)."""


class _DeliveryCollector:
    """Exposes a sink's delivery counters at scrape time."""

    def __init__(self, stats: Callable[[], DeliveryStats | None]) -> None:
        self._stats = stats

    def collect(self) -> Iterator[CounterMetricFamily]:
        stats = self._stats()
        delivered, failed, written = stats.snapshot() if stats else (0, 0, 0)
        yield CounterMetricFamily(
            "eventgen_events_delivered", "Events the sink confirmed delivered.", value=delivered
        )
        yield CounterMetricFamily(
            "eventgen_events_failed", "Events the sink gave up on.", value=failed
        )
        yield CounterMetricFamily(
            "eventgen_delivered_bytes", "Payload bytes delivered.", value=written
        )


class _ShapeCollector:
    """Exposes a shaped pacer's curve at scrape time."""

    def __init__(self, pacer: ShapedPacer) -> None:
        self._pacer = pacer

    def collect(self) -> Iterator[CounterMetricFamily | GaugeMetricFamily]:
        pacer = self._pacer
        now = pacer.now()
        yield GaugeMetricFamily(
            "eventgen_base_rate_events_per_second",
            "The base rate the shape multiplies (events/s).",
            value=pacer.base,
        )
        yield GaugeMetricFamily(
            "eventgen_shape_factor",
            "The shape's factor now (rhythm x stage x bursts); target = base x factor.",
            value=pacer.curve.factor(now),
        )
        yield CounterMetricFamily(
            "eventgen_target_events",
            "Events the target curve called for so far (its integral).",
            value=pacer.due_at(now),
        )


class Metrics:
    """The generator's metrics and health state.

    ``generated``: events produced. ``write_seconds`` / ``flush_seconds``: latency of
    ``sink.write`` and ``sink.flush`` in seconds. ``target_rate``: the current target in
    events per second (streaming). ``schedule_dropped_seconds``: seconds of the pacing
    schedule skipped because the sink could not keep up (streaming; events that were
    never generated, so a non-zero rate means the target rate was not met). Health:
    :meth:`beat` marks the loop alive, and :meth:`set_failed` marks the sink failed. A loop
    that has not beaten for ``stale_after`` seconds (stuck in a sink that never returns)
    counts as not alive.
    """

    def __init__(
        self, stale_after: float = 120.0, clock: Callable[[], float] = time.monotonic
    ) -> None:
        self._stale_after = stale_after
        self._clock = clock
        self._last_beat = 0.0
        self.registry = CollectorRegistry()
        self.generated = Counter(
            "eventgen_events_generated", "Events generated.", registry=self.registry
        )
        self.write_seconds = Histogram(
            "eventgen_sink_write_seconds",
            "Seconds spent in sink.write per batch (publish or append).",
            buckets=LATENCY_BUCKETS,
            registry=self.registry,
        )
        self.flush_seconds = Histogram(
            "eventgen_sink_flush_seconds",
            "Seconds spent in sink.flush.",
            buckets=LATENCY_BUCKETS,
            registry=self.registry,
        )
        self.target_rate = Gauge(
            "eventgen_target_rate_events_per_second",
            "Current target rate (events/s); 0 means paused.",
            registry=self.registry,
        )
        self.schedule_dropped_seconds = Counter(
            "eventgen_schedule_dropped_seconds",
            "Seconds of the rate schedule skipped because the sink could not keep up "
            "(events never generated).",
            registry=self.registry,
        )
        self.sink_stats: DeliveryStats | None = None
        self.registry.register(_DeliveryCollector(lambda: self.sink_stats))
        self._alive = False
        self._failed: str | None = None
        self._lock = threading.Lock()

    def follow_shape(self, pacer: ShapedPacer) -> None:
        """Export a shaped stream's curve, read at scrape time: the base rate, the shape's
        factor now, and ``eventgen_target_events_total``, the integral of the target curve,
        so ``rate()`` over it overlays ``rate(eventgen_events_delivered_total)`` window by
        window on a dashboard."""
        self.registry.register(_ShapeCollector(pacer))

    def beat(self, alive: bool = True) -> None:
        """Mark the generating loop alive (True) or finished (False)."""
        with self._lock:
            self._alive = alive
            self._last_beat = self._clock()

    def set_failed(self, reason: str) -> None:
        """Mark the sink failed; /healthz answers 503 from now on."""
        with self._lock:
            self._failed = reason

    def health(self) -> tuple[bool, str]:
        """(healthy, reason): healthy while the loop is alive and the sink has not failed."""
        with self._lock:
            if self._failed is not None:
                return False, f"sink failed: {self._failed}"
            if not self._alive:
                return False, "generator loop not running"
            silent = self._clock() - self._last_beat
            if silent > self._stale_after:
                return False, f"generator loop silent for {silent:.0f} s"
            return True, "ok"


def _handler(metrics: Metrics) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            if self.path.split("?")[0] == "/metrics":
                self._reply(200, generate_latest(metrics.registry), CONTENT_TYPE_LATEST)
            elif self.path.split("?")[0] == "/healthz":
                healthy, reason = metrics.health()
                self._reply(200 if healthy else 503, reason.encode() + b"\n", "text/plain")
            else:
                self._reply(404, b"not found\n", "text/plain")

        def _reply(self, status: int, body: bytes, content_type: str) -> None:
            self.send_response(status)
            self.send_header("Content-Type", content_type)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, format: str, *args: Any) -> None:
            """Scrapes and probes every few seconds would drown the generator's own logs."""

    return Handler


class MetricsServer:
    """Serves ``/metrics`` and ``/healthz`` for ``metrics`` on ``host:port`` in a thread."""

    def __init__(self, metrics: Metrics, port: int, host: str = "0.0.0.0") -> None:
        self._httpd = ThreadingHTTPServer((host, port), _handler(metrics))
        self._httpd.daemon_threads = True
        self._thread = threading.Thread(
            target=self._httpd.serve_forever, name="metrics", daemon=True
        )

    @property
    def port(self) -> int:
        """The bound port (useful when started on port 0)."""
        return int(self._httpd.server_address[1])

    def start(self) -> None:
        """Start serving."""
        self._thread.start()

    def stop(self) -> None:
        """Stop serving and release the port."""
        self._httpd.shutdown()
        self._httpd.server_close()
