"""``eventgen stream``: paced generation until ``--duration``, ``--events`` or a signal.

The pacer (flat, or on a shape's curve), the live rate and shape inputs, and the stream's
own defaults (a flat daily profile, a smaller bound on open orders) are wired here.
"""

from __future__ import annotations

import argparse
import datetime as dt
import logging
import time
from collections.abc import Callable, Mapping
from contextlib import ExitStack
from pathlib import Path
from typing import Any, Protocol

from eventgen.bounds import STREAM_MAX_IN_FLIGHT_ORDERS
from eventgen.cli.commands import (
    checked_generator_id,
    configure_logging,
    finish,
    generator_options,
    requested_sink,
    serving_metrics,
)
from eventgen.contract import POD_NAMESPACE
from eventgen.errors import ConfigError
from eventgen.runtime.liveshape import ShapeFileWatcher, configmap_shape_listener, read_shape_file
from eventgen.runtime.metrics import Metrics
from eventgen.runtime.pacing import Pacer
from eventgen.runtime.runner import StopFlag, run_stream
from eventgen.runtime.runs import run_token, stream_generator_id
from eventgen.runtime.shapedpacing import ShapedPacer
from eventgen.shape.curve import Curve
from eventgen.shape.document import Shape
from eventgen.shop.arrivals import UTC_OFFSET_HOURS
from eventgen.shop.identity import RunIdentity
from eventgen.sinks.factory import build_sink
from eventgen.sinks.settings import sink_settings

log = logging.getLogger("eventgen")


class Watcher(Protocol):
    """A live input (rate file, shape file, ConfigMap) running beside the stream."""

    def start(self) -> None: ...

    def stop(self) -> None: ...


def checked_rate_file(text: str) -> Path:
    """``--rate-file``: a file (it may appear later), never a folder, which would be polled
    forever without ever holding a rate."""
    path = Path(text)
    if path.is_dir():
        raise ConfigError(f"--rate-file {text} is a folder; it must name a file holding the rate")
    return path


def shape_setter(
    pacer: Pacer | ShapedPacer, utc_offset_hours: int, anchor: float
) -> Callable[[Shape], None]:
    """The callback a live shape input calls: the pacer follows the new shape from now.

    A shape without ``start`` is anchored at the stream's start, so an edit of bursts or
    rhythm does not restart the stages."""

    def apply(shape: Shape) -> None:
        if isinstance(pacer, ShapedPacer) and shape != pacer.curve.shape:
            log.info("shape changed: %s", shape.document())
            pacer.set_curve(Curve(shape, utc_offset_hours, anchor))

    return apply


def stream_pacer(
    args: argparse.Namespace, shape: Shape | None, curve: Curve, metrics: Metrics
) -> Pacer | ShapedPacer:
    """The pacer on the curve's integral when a shape may apply (``--shape``, or later the
    live ConfigMap's), its curve exported in the metrics; else the flat pacer."""
    if shape is None and not args.rate_configmap:
        return Pacer(args.rate)
    pacer = ShapedPacer(args.rate, curve)
    metrics.follow_shape(pacer)
    return pacer


def stream_options(args: argparse.Namespace, start: dt.datetime) -> Any:
    """The options of a stream: the flags', with a stream's own defaults."""
    if getattr(args, "option_daily_profile", None):
        raise ConfigError(
            "--daily-profile: a stream keeps the flat rate --rate sets; the daily profile "
            "is for batch"
        )
    options = generator_options(args, start=start, events_per_second=args.rate or 1.0)
    # The pacer sets a stream's rate; arrivals stay flat so event time keeps to the clock.
    stream_defaults: dict[str, Any] = {"daily_profile": False}
    if getattr(args, "option_max_in_flight_orders", None) is None:
        # A stream's own bound on open orders: its start-up time and memory (see bounds).
        stream_defaults["max_in_flight_orders"] = STREAM_MAX_IN_FLIGHT_ORDERS
    return options.model_copy(update=stream_defaults)


def rate_setter(pacer: Pacer | ShapedPacer) -> Callable[[float], None]:
    """The callback a live rate input calls: the pacer's (base) rate, said when it changes."""

    def on_rate(rate: float) -> None:
        if rate != getattr(pacer, "base", pacer.rate):
            log.info("rate changed: %g -> %g events/s", getattr(pacer, "base", pacer.rate), rate)
        pacer.set_rate(rate)

    return on_rate


def live_inputs(
    args: argparse.Namespace,
    environ: Mapping[str, str],
    pacer: Pacer | ShapedPacer,
    live_shape: Callable[[Shape], None],
) -> list[Watcher]:
    """The watchers of the live rate (--rate-file or --rate-configmap) and shape (--shape, or
    the ConfigMap's), not started yet."""
    from eventgen.runtime.liverate import (
        ConfigMapRateWatcher,
        RateFileWatcher,
        load_kubernetes_api,
        parse_configmap_ref,
    )

    on_rate = rate_setter(pacer)
    watchers: list[Watcher] = []
    if args.rate_file:
        watchers.append(RateFileWatcher(Path(args.rate_file), on_rate))
    if args.shape:
        watchers.append(ShapeFileWatcher(Path(args.shape), live_shape))
    if args.rate_configmap:
        namespace, name = parse_configmap_ref(args.rate_configmap, environ.get(POD_NAMESPACE))
        # --shape, when given, wins over the ConfigMap's shape (a local override).
        listener = None if args.shape else configmap_shape_listener(live_shape)
        watchers.append(
            ConfigMapRateWatcher(load_kubernetes_api(), namespace, name, on_rate, listener)
        )
    return watchers


def stream(args: argparse.Namespace, environ: Mapping[str, str], stop: StopFlag) -> int:
    """Run ``eventgen stream``: paced generation until --duration, --events or a signal."""
    from eventgen.shop.generation import EventStream

    configure_logging(args.log_level)
    # Every check first: nothing is bound, created or generated before the input is good.
    if args.rate_file and args.rate_configmap:
        raise ConfigError("use either --rate-file or --rate-configmap, not both")
    if args.rate_file:
        checked_rate_file(args.rate_file)
    shape = read_shape_file(Path(args.shape)) if args.shape else None
    settings = sink_settings(requested_sink(args))
    now = dt.datetime.now(dt.UTC)
    # Each run (a container restart included) is its own generator; see eventgen.runtime.runs.
    run_id = run_token(now) if args.run_id is None else args.run_id
    generator_id = stream_generator_id(checked_generator_id(args.generator_id or args.name), run_id)
    # Simulated time starts now and advances at the live rate, so timestamps track wall time.
    start: dt.datetime = args.start or now
    options = stream_options(args, start)
    metrics = Metrics()
    offset, anchor = UTC_OFFSET_HOURS[options.locale], start.timestamp()
    pacer = stream_pacer(args, shape, Curve(shape or Shape(), offset, anchor), metrics)
    watchers = live_inputs(args, environ, pacer, shape_setter(pacer, offset, anchor))
    with ExitStack() as running:
        running.enter_context(serving_metrics(metrics, args.metrics_port))
        built = build_sink(
            settings,
            generator_id=generator_id,
            streaming=True,
            stop=stop.event,
            stop_grace=settings.flush_timeout,
        )
        source = EventStream(options, generator_id, RunIdentity(mode="stream", name=args.name))
        # Simulate the orders already open at the start (about a second at high rates)
        # before the pacer's schedule begins, so that second is not dropped as a backlog.
        source.next_batch(0)
        log.info("stream %s -> %s at %g events/s", generator_id, built.location, args.rate)
        for watcher in watchers:
            watcher.start()
            running.callback(watcher.stop)
        summary = run_stream(
            source,
            built.sink,
            pacer,
            location=built.location,
            metrics=metrics,
            stop=stop,
            max_events=args.events,
            duration=args.duration,
            flush_timeout=settings.flush_timeout,
            # A stream from now keeps its timestamps on the clock; one from a fixed
            # --start is a replay and must not depend on when it runs.
            wall_clock=time.time if args.start is None else None,
        )
    return finish(summary, stop)
