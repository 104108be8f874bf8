"""What the commands share once their arguments are parsed, and ``eventgen schema``.

Each command (:mod:`eventgen.cli.stream`, :mod:`eventgen.cli.batch`) turns arguments into
typed settings (raising ConfigError on bad input before anything is written), builds the
event source, the sink, metrics and live inputs, runs the loop from
:mod:`eventgen.runtime.runner` and reports the summary with :func:`finish`.
"""

from __future__ import annotations

import argparse
import dataclasses
import datetime as dt
import json
import logging
import os
import sys
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from typing import Any

from eventgen.errors import ConfigError
from eventgen.runtime.metrics import Metrics, MetricsServer
from eventgen.runtime.runner import StopFlag, Summary, report
from eventgen.sinks.settings import SinkRequest

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


def checked_generator_id(generator_id: str) -> str:
    """``generator_id`` if it is usable in file and object names, else ConfigError.

    It names the JSONL parts (``<generator_id>-part-00000.jsonl``), so a ``/`` would put
    them in another folder (``../x`` outside ``--output``) or fail with a missing folder.
    """
    if not generator_id or "/" in generator_id or "\\" in generator_id or "\0" in generator_id:
        raise ConfigError(
            f"generator_id {generator_id!r} (--generator-id, else --name) must be non-empty, "
            "without '/' or '\\': it names the output files"
        )
    return generator_id


def requested_sink(args: argparse.Namespace) -> SinkRequest:
    """The sink options among ``args`` (the flags are named after the request's fields)."""
    return SinkRequest(
        **{field.name: getattr(args, field.name) for field in dataclasses.fields(SinkRequest)}
    )


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
