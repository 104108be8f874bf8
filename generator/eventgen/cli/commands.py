"""What ``eventgen stream``, ``batch`` and ``schema`` do, once their arguments are parsed.

Each command turns arguments into typed settings (raising ConfigError on bad input before
anything is written), builds the event source, the sink, metrics and live-rate watchers,
runs the loop from :mod:`eventgen.runtime.runner` and reports the summary.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import logging
import os
import sys
import time
from collections.abc import Callable, Iterator, Mapping
from contextlib import ExitStack, contextmanager, suppress
from pathlib import Path
from typing import Any

from eventgen.bounds import MAX_RATE, STREAM_MAX_IN_FLIGHT_ORDERS, period_problem
from eventgen.cli.settings import (
    ShardPlan,
    checked_generator_id,
    plan_shard,
    shard_index,
    sink_settings,
    utc_midnight,
)
from eventgen.errors import ConfigError
from eventgen.runtime.liveshape import ShapeFileWatcher, configmap_shape_listener, read_shape_file
from eventgen.runtime.metrics import Metrics, MetricsServer
from eventgen.runtime.pacing import Pacer
from eventgen.runtime.runner import StopFlag, Summary, report, run_batch, run_stream
from eventgen.runtime.runs import run_token, stream_generator_id
from eventgen.runtime.shapedpacing import ShapedPacer
from eventgen.shape.curve import Curve
from eventgen.shape.document import Shape
from eventgen.shop.arrivals import UTC_OFFSET_HOURS
from eventgen.shop.identity import RunIdentity
from eventgen.sinks.factory import build_sink

log = logging.getLogger("eventgen")


def configure_logging(level: str) -> None:
    """Log to stderr (stdout may carry events) in one-line records."""
    logging.basicConfig(
        stream=sys.stderr,
        level=getattr(logging, level.upper()),
        format="eventgen: %(levelname)s: %(message)s",
    )
    if level != "debug":
        # google.auth warns about each place it looked for credentials; when none is found
        # the sink says so in its one-line error, with the ways to provide them.
        logging.getLogger("google.auth").setLevel(logging.ERROR)


def generator_options(
    args: argparse.Namespace, *, start: dt.datetime, events_per_second: float
) -> Any:
    """Validated ``GeneratorOptions`` from the ``--<option>`` flags; ConfigError names the flag."""
    from pydantic import ValidationError

    from eventgen.shop.options import GeneratorOptions

    given = {
        key.removeprefix("option_"): value
        for key, value in vars(args).items()
        if key.startswith("option_") and value is not None
    }
    try:
        return GeneratorOptions(**given, start=start, events_per_second=events_per_second)
    except ValidationError as error:
        first = error.errors()[0]
        where = first["loc"][0] if first["loc"] else ""
        flag = f"--{str(where).replace('_', '-')}: " if where else ""
        raise ConfigError(f"{flag}{first['msg']}") from None


DEFAULT_METRICS_PORT = 9102


@contextmanager
def serving_metrics(metrics: Metrics, port: int | None) -> Iterator[None]:
    """Serve /metrics and /healthz while the block runs.

    ``port`` 0: not at all. ``None`` (neither flag nor environment): the default port, and
    when that is taken (two shards on one machine) metrics are off for this process with a
    warning, so local runs need no port bookkeeping. A port given explicitly (the operator
    always does) must be free: a one-line error, exit 2, before anything is written.
    """
    chosen = DEFAULT_METRICS_PORT if port is None else port
    if chosen == 0:
        yield
        return
    try:
        server = MetricsServer(metrics, chosen)
    except OSError as error:
        if port is None:
            log.warning(
                "metrics port %d: %s; serving no metrics (give each process its own "
                "--metrics-port, or 0 to disable)",
                chosen,
                error.strerror,
            )
            yield
            return
        raise ConfigError(
            f"--metrics-port {chosen}: {error.strerror} (another process serves it: give "
            "each generator its own port, or 0 to disable metrics)"
        ) from None
    server.start()
    try:
        yield
    finally:
        server.stop()


def schema(args: argparse.Namespace) -> int:
    """Print the event schema as JSON (BigQuery table schema or JSON Schema)."""
    from eventgen.shop.schema import bigquery_schema, json_schema

    document: object = bigquery_schema() if args.format == "bigquery" else json_schema()
    print(json.dumps(document, indent=2))
    return 0


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


def stream(args: argparse.Namespace, environ: Mapping[str, str], stop: StopFlag) -> int:
    """Run ``eventgen stream``: paced generation until --duration, --events or a signal."""
    from eventgen.runtime.liverate import (
        ConfigMapRateWatcher,
        RateFileWatcher,
        load_kubernetes_api,
        parse_configmap_ref,
    )
    from eventgen.shop.generation import EventStream

    configure_logging(args.log_level)
    # Every check first: nothing is bound, created or generated before the input is good.
    if args.rate_file and args.rate_configmap:
        raise ConfigError("use either --rate-file or --rate-configmap, not both")
    rate_file = checked_rate_file(args.rate_file) if args.rate_file else None
    shape = read_shape_file(Path(args.shape)) if args.shape else None
    settings = sink_settings(args)
    now = dt.datetime.now(dt.UTC)
    # Each run (a container restart included) is its own generator; see eventgen.runtime.runs.
    run_id = run_token(now) if args.run_id is None else args.run_id
    generator_id = stream_generator_id(checked_generator_id(args.generator_id or args.name), run_id)
    # Simulated time starts now and advances at the live rate, so timestamps track wall time.
    start: dt.datetime = args.start or now
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
    options = options.model_copy(update=stream_defaults)
    metrics = Metrics()
    offset, anchor = UTC_OFFSET_HOURS[options.locale], start.timestamp()
    pacer = stream_pacer(args, shape, Curve(shape or Shape(), offset, anchor), metrics)
    live = shape_setter(pacer, offset, anchor)

    def on_rate(rate: float) -> None:
        if rate != getattr(pacer, "base", pacer.rate):
            log.info("rate changed: %g -> %g events/s", getattr(pacer, "base", pacer.rate), rate)
        pacer.set_rate(rate)

    watchers: list[RateFileWatcher | ConfigMapRateWatcher | ShapeFileWatcher] = []
    if rate_file is not None:
        watchers.append(RateFileWatcher(rate_file, on_rate))
    if args.shape:
        watchers.append(ShapeFileWatcher(Path(args.shape), live))
    if args.rate_configmap:
        namespace, name = parse_configmap_ref(args.rate_configmap, environ.get("POD_NAMESPACE"))
        # --shape, when given, wins over the ConfigMap's shape (a local override).
        listener = None if args.shape else configmap_shape_listener(live)
        watchers.append(
            ConfigMapRateWatcher(load_kubernetes_api(), namespace, name, on_rate, listener)
        )
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


def batch_start(args: argparse.Namespace) -> dt.datetime:
    """The batch's start (``--start``, else midnight UTC today), checked with its span."""
    start: dt.datetime = args.start or utc_midnight()
    problem = period_problem(start, args.span)
    if problem:
        raise ConfigError(f"--start {start.isoformat()} with --span {args.span:g}s {problem}")
    return start


def checked_density(density: float, plan: ShardPlan, span: float) -> float:
    """A shard's events per simulated second, if within :data:`~eventgen.bounds.MAX_RATE`."""
    if density > MAX_RATE:
        raise ConfigError(
            f"--events: {plan.events} events in shard {plan.index} over --span {span:g}s is "
            f"{density:,.0f} events per simulated second, above {MAX_RATE:,.0f} "
            "(use more --shard-count or a longer --span)"
        )
    return density


def batch(args: argparse.Namespace, environ: Mapping[str, str], stop: StopFlag) -> int:
    """Run ``eventgen batch``: exactly this shard's share of --events, then the summary."""
    from eventgen.shop.generation import EventStream, batch_density

    configure_logging(args.log_level)
    if args.events is None:
        raise ConfigError("batch needs --events N (or EVENTGEN_EVENTS)")
    plan = plan_shard(args.events, shard_index(args, environ), args.shard_count)
    settings = sink_settings(args)
    generator_id = checked_generator_id(args.generator_id or f"{args.name}-shard-{plan.index}")
    start = batch_start(args)
    # Each shard covers the whole span at its own density; shards interleave in time.
    options = generator_options(args, start=start, events_per_second=1.0)
    density = checked_density(batch_density(options, plan.events, args.span), plan, args.span)
    options = options.model_copy(update={"events_per_second": density})
    # The run's identity: another day, span, size or name is another run (eventgen.shop.identity).
    run = RunIdentity(
        mode="batch",
        name=args.name,
        span_seconds=args.span,
        events=args.events,
        shard_count=plan.count,
    )
    # The contract promises batch at least 300 s to deliver what it generated.
    flush_timeout = max(settings.flush_timeout, 300.0)
    metrics = Metrics()
    with serving_metrics(metrics, args.metrics_port):
        built = build_sink(
            settings,
            generator_id=generator_id,
            streaming=False,
            partition_date=start.date(),
            stop=stop.event,
            stop_grace=flush_timeout,
        )
        source = EventStream(options, generator_id, run)
        log.info(
            "batch %s: shard %d of %d, %d events -> %s",
            generator_id,
            plan.index,
            plan.count,
            plan.events,
            built.location,
        )
        summary = run_batch(
            source,
            built.sink,
            plan.events,
            location=built.location,
            metrics=metrics,
            stop=stop,
            chunk=args.chunk_size,
            progress=progress_bar(plan.events, generator_id),
            flush_timeout=flush_timeout,
        )
    code = finish(summary, stop)
    if code == 0 and stop.signal_name and summary.generated < plan.events:
        # What was generated is delivered, but the shard is short. Under a Job, exit 0
        # would mark the shard done; a non-zero code makes Kubernetes rerun it, and the
        # rerun rewrites the same objects, so nothing is lost or duplicated.
        log.warning(
            "shard incomplete: %d of %d events generated before %s",
            summary.generated,
            plan.events,
            stop.signal_name,
        )
        return int(args.interrupted_exit_code)
    return code


def progress_bar(total: int, label: str) -> Any:
    """A tqdm bar on stderr when stderr is a terminal; None otherwise (logs, pods)."""
    if not sys.stderr.isatty():
        return None
    from tqdm import tqdm

    try:
        columns, lines = os.get_terminal_size(sys.stderr.fileno())
    except OSError:
        columns = lines = 0
    # A terminal that reports no size (some CI ptys) would get an empty bar.
    return tqdm(
        total=total,
        desc=label,
        unit="ev",
        unit_scale=True,
        file=sys.stderr,
        ncols=columns or 80,
        nrows=lines or 24,
    )


def log_stop(summary: Summary, signal_name: str) -> None:
    """Say how a run stopped by ``signal_name`` ended: everything generated delivered, or
    not (a failed or timed-out flush), with the counts, so no one reads a loss as success."""
    if summary.error is None and summary.failed == 0:
        log.info("stopped by %s after delivering what was generated", signal_name)
        return
    undelivered = max(summary.generated - summary.delivered, summary.failed)
    log.warning(
        "stopped by %s, but delivery did not complete: %d of %d generated events "
        "not delivered (%s)",
        signal_name,
        undelivered,
        summary.generated,
        summary.error or f"{summary.failed} failed",
    )


def finish(summary: Summary, stop: StopFlag) -> int:
    """Report the summary; a stop by signal is a normal end (exit 0) unless delivery failed."""
    if stop.signal_name:
        log_stop(summary, stop.signal_name)
    with suppress(BrokenPipeError):
        sys.stdout.flush()
    return report(summary)
