"""``eventgen batch``: exactly this shard's share of ``--events``, then the summary.

The shard plan (which slice of the total this process writes) and the default start
(midnight UTC today) are the batch's own rules.
"""

from __future__ import annotations

import argparse
import datetime as dt
import logging
from collections.abc import Mapping
from dataclasses import dataclass

from eventgen.bounds import MAX_RATE, period_problem
from eventgen.cli.commands import (
    checked_generator_id,
    configure_logging,
    finish,
    generator_options,
    progress_bar,
    requested_sink,
    serving_metrics,
)
from eventgen.cli.converters import non_negative_int
from eventgen.errors import ConfigError
from eventgen.runtime.metrics import Metrics
from eventgen.runtime.runner import StopFlag, run_batch
from eventgen.shop.identity import RunIdentity
from eventgen.sinks.factory import build_sink
from eventgen.sinks.settings import sink_settings

log = logging.getLogger("eventgen")


@dataclass(frozen=True)
class ShardPlan:
    """Which slice of a batch this process writes."""

    index: int
    count: int
    events: int
    """Events in this shard: total // count, plus one for the first total % count shards."""


def plan_shard(total: int, index: int, count: int) -> ShardPlan:
    """Shard ``index`` of ``count`` over ``total`` events (ConfigError if out of range)."""
    if count < 1:
        raise ConfigError(f"--shard-count must be >= 1, got {count}")
    if not 0 <= index < count:
        raise ConfigError(f"--shard-index {index} is outside 0..{count - 1}")
    events = total // count + (1 if index < total % count else 0)
    return ShardPlan(index=index, count=count, events=events)


def shard_index(args: argparse.Namespace, environ: Mapping[str, str]) -> int:
    """--shard-index / EVENTGEN_SHARD_INDEX, else JOB_COMPLETION_INDEX (indexed Jobs), else 0."""
    if args.shard_index is not None:
        return int(args.shard_index)
    raw = environ.get("JOB_COMPLETION_INDEX")
    if raw is None:
        return 0
    try:
        return non_negative_int(raw)
    except ValueError:
        raise ConfigError(f"JOB_COMPLETION_INDEX={raw!r}: expected an integer >= 0") from None


def utc_midnight(now: dt.datetime | None = None) -> dt.datetime:
    """Midnight UTC of today (the default batch start)."""
    today = (now or dt.datetime.now(dt.UTC)).astimezone(dt.UTC).date()
    return dt.datetime.combine(today, dt.time(), tzinfo=dt.UTC)


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
    settings = sink_settings(requested_sink(args))
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
