"""The ``eventgen`` argument parser: every command's flags, and how argv and the environment
become one namespace. The work happens in :mod:`eventgen.cli.commands` and its siblings.
"""

from __future__ import annotations

import argparse
import re
import sys
from collections.abc import Mapping, Sequence
from typing import Any, NoReturn

from eventgen import __version__
from eventgen.bounds import MAX_RATE, STREAM_MAX_IN_FLIGHT_ORDERS, parse_rate
from eventgen.cli.converters import (
    exit_code,
    finite_float,
    flag_type,
    non_empty,
    non_negative_int,
    parse_duration,
    parse_size,
    parse_start,
    port_number,
    positive_int,
    true_or_false,
)
from eventgen.cli.environment import apply_environment
from eventgen.errors import ConfigError
from eventgen.runtime.runs import parse_run_id
from eventgen.sinks.settings import SINKS


class OneLineParser(argparse.ArgumentParser):
    """argparse that reports bad input in one line, without the usage dump."""

    def error(self, message: str) -> NoReturn:
        raise ConfigError(message)


def add_generator_options(parser: argparse.ArgumentParser) -> None:
    """One flag per field of :class:`~eventgen.shop.options.GeneratorOptions`.

    Derived from the model, so a new option is on the command line (and in the
    environment) the day it is added. ``start`` and ``events_per_second`` are the
    runtime's to set (``--start``/``--span``/``--rate``), so they are left out.
    """
    from eventgen.shop.options import GeneratorOptions

    group = parser.add_argument_group("event generation")
    for name, field in GeneratorOptions.model_fields.items():
        if name in ("start", "events_per_second"):
            continue
        if field.annotation is bool:
            group.add_argument(
                "--" + name.replace("_", "-"),
                dest=f"option_{name}",
                type=flag_type(true_or_false),
                default=None,
                metavar="{true,false}",
                help=f"{(field.description or name).rstrip('.')} "
                f"(default {str(field.default).lower()})",
            )
            continue
        kind: type[Any] = field.annotation if field.annotation in (int, float, str) else str  # type: ignore[assignment]
        group.add_argument(
            "--" + name.replace("_", "-"),
            dest=f"option_{name}",
            # nan would pass as a number and then fail every range check with a wrong reason.
            type=flag_type(finite_float) if kind is float else kind,
            default=None,
            metavar=kind.__name__.upper(),
            help=f"{(field.description or name).rstrip('.')} (default {field.default})",
        )


def stream_default(parser: argparse.ArgumentParser, dest: str, value: object) -> None:
    """Say in ``--help`` that a stream's default for ``dest`` is ``value`` (cli.stream
    applies it), not the options model's."""
    for action in parser._actions:  # argparse offers no public lookup by dest
        if action.dest == dest and action.help:
            action.help = re.sub(
                r"\(default [^)]*\)$", f"(default {value} for a stream)", action.help
            )


def add_sink_options(parser: argparse.ArgumentParser) -> None:
    """Flags choosing and configuring the sink."""
    group = parser.add_argument_group("output")
    group.add_argument(
        "--sink",
        choices=SINKS,
        help="where events go (default: jsonl when --output is given, else stdout)",
    )
    group.add_argument(
        "--output",
        type=flag_type(non_empty),
        metavar="PATH",
        help="JSONL file, or folder (ending in /) of per-generator parts",
    )
    group.add_argument(
        "--gzip", action="store_true", help="gzip JSONL files and objects (.jsonl.gz)"
    )
    group.add_argument(
        "--rotate-bytes",
        type=flag_type(parse_size),
        metavar="SIZE",
        help="start a new part after this many uncompressed bytes (e.g. 64MiB)",
    )
    group.add_argument(
        "--rotate-seconds",
        type=flag_type(parse_duration),
        metavar="DURATION",
        help="complete a part this long after it opened (e.g. 5m; stream default 5m)",
    )
    group.add_argument("--gcs-bucket", metavar="BUCKET", help="Cloud Storage bucket (--sink gcs)")
    group.add_argument(
        "--gcs-prefix", default="raw/", metavar="PREFIX", help="object prefix (default raw/)"
    )
    group.add_argument(
        "--pubsub-project", metavar="PROJECT", help="Pub/Sub project (--sink pubsub)"
    )
    group.add_argument("--pubsub-topic", metavar="TOPIC", help="Pub/Sub topic (--sink pubsub)")
    group.add_argument(
        "--ordering-key", choices=("order_id",), help="publish with this ordering key"
    )
    group.add_argument(
        "--flush-timeout",
        type=flag_type(parse_duration),
        default=30.0,
        metavar="DURATION",
        help="longest wait for delivery at shutdown (default 30s; a batch waits at least 300s)",
    )


def add_common_options(parser: argparse.ArgumentParser) -> None:
    """Flags shared by ``stream`` and ``batch``."""
    parser.add_argument(
        "--name",
        type=flag_type(non_empty),
        default="eventgen",
        help="generator name (default eventgen)",
    )
    parser.add_argument(
        "--generator-id",
        type=flag_type(non_empty),
        metavar="ID",
        help="generator_id stamped on events",
    )
    parser.add_argument(
        "--metrics-port",
        type=flag_type(port_number),
        default=None,
        metavar="PORT",
        help="serve /metrics and /healthz here (default 9102, skipped with a warning when "
        "taken; a port given explicitly must be free; 0 disables)",
    )
    parser.add_argument(
        "--log-level",
        default="info",
        choices=("debug", "info", "warning", "error"),
        help="stderr log level (default info)",
    )
    add_sink_options(parser)
    add_generator_options(parser)


def add_audit_options(parser: argparse.ArgumentParser) -> None:
    """Flags of ``eventgen audit`` (see docs/audit.md)."""
    from eventgen.audit.command import fault_rate, instant

    parser.add_argument(
        "sources",
        nargs="+",
        metavar="SOURCE",
        help="JSONL file or folder (plain or gzip), gs://BUCKET/PREFIX, "
        "projects/P/subscriptions/S, or bq://PROJECT.DATASET.TABLE",
    )
    parser.add_argument(
        "--format", choices=("text", "json"), default="text", help="verdict format (default text)"
    )
    parser.add_argument(
        "--allow-duplicates",
        action="store_true",
        help="accept doubled deliveries (an at-least-once path not yet deduplicated)",
    )
    parser.add_argument(
        "--expected-events",
        type=flag_type(positive_int),
        metavar="N",
        help="events made in all (a batch's --events): also catches a lost tail, which "
        "highest sequence + 1 cannot see",
    )
    faults = parser.add_argument_group("the generator's fault settings, when it injected faults")
    faults.add_argument(
        "--duplicate-rate",
        type=flag_type(fault_rate),
        default=0.0,
        metavar="RATE",
        help="the generator's --duplicate-rate: event_ids repeated under a new sequence "
        "are expected",
    )
    faults.add_argument(
        "--malformed-rate",
        type=flag_type(fault_rate),
        default=0.0,
        metavar="RATE",
        help="the generator's --malformed-rate: records that are not events are expected and "
        "account for the sequences they lost",
    )
    table = parser.add_argument_group("BigQuery (bq://)")
    table.add_argument(
        "--since",
        type=flag_type(instant),
        metavar="ISO",
        help="audit events with event_timestamp from this time (required for bq://)",
    )
    table.add_argument(
        "--until",
        type=flag_type(instant),
        metavar="ISO",
        help="... up to, not including, this time (default now)",
    )
    table.add_argument(
        "--dry-run", action="store_true", help="only show the bytes the query would scan"
    )
    table.add_argument(
        "--max-bytes-billed",
        type=flag_type(parse_size),
        metavar="SIZE",
        help="let BigQuery refuse the query above this many bytes (e.g. 10GiB)",
    )
    pubsub = parser.add_argument_group("Pub/Sub subscription")
    pubsub.add_argument(
        "--idle-timeout",
        type=flag_type(parse_duration),
        default=10.0,
        metavar="DURATION",
        help="stop when no message arrived for this long (default 10s)",
    )
    pubsub.add_argument(
        "--max-messages",
        type=flag_type(positive_int),
        metavar="N",
        help="stop after reading N messages",
    )
    pubsub.add_argument(
        "--allow-pipeline-subscription",
        action="store_true",
        help="audit (and acknowledge on) ecommerce-events-sub, taking its messages from the "
        "pipeline",
    )


def build_parser() -> tuple[OneLineParser, dict[str, OneLineParser]]:
    """The ``eventgen`` parser, and its subcommand parsers by name."""
    parser = OneLineParser(
        prog="eventgen", description="Realistic e-commerce events: stream them or write batches."
    )
    parser.add_argument("--version", action="version", version=f"eventgen {__version__}")
    commands = parser.add_subparsers(
        dest="command", required=True, metavar="{stream,batch,schema,audit}"
    )

    env_note = "Every --foo-bar flag also reads EVENTGEN_FOO_BAR from the environment (flag wins)."
    stream = commands.add_parser(
        "stream", help="generate events at a live rate until stopped", epilog=env_note
    )
    stream.add_argument(
        "--rate",
        type=flag_type(parse_rate),
        default=10.0,
        help=f"events per second (default 10; 0 pauses; at most {MAX_RATE:,.0f})",
    )
    stream.add_argument(
        "--rate-file",
        type=flag_type(non_empty),
        metavar="PATH",
        help="file holding the live rate, polled every 0.5 s",
    )
    stream.add_argument(
        "--rate-configmap",
        metavar="[NAMESPACE/]NAME",
        help="ConfigMap whose ratePerReplica is the live rate (and whose shape, if any, "
        "the live shape)",
    )
    stream.add_argument(
        "--shape",
        type=flag_type(non_empty),
        metavar="PATH",
        help="YAML or JSON file with the rate's shape over time (daily rhythm, stages, "
        "bursts, timeScale); --rate is the base it multiplies; polled, edits apply live",
    )
    stream.add_argument(
        "--duration",
        type=flag_type(parse_duration),
        metavar="DURATION",
        help="stop after this long (e.g. 90s, 15m)",
    )
    stream.add_argument(
        "--events", type=flag_type(positive_int), metavar="N", help="stop after N events"
    )
    stream.add_argument(
        "--run-id",
        type=flag_type(parse_run_id),
        metavar="ID",
        help="this run's identity: events carry generator_id <generator-id>.<run id> "
        "(default run id: the UTC start time, YYYYmmddTHHMMSSZ, so a restart never repeats "
        'event_ids); "" keeps generator_id as given, to replay a stream byte-for-byte with --start',
    )
    stream.add_argument(
        "--start",
        type=flag_type(parse_start),
        metavar="ISO",
        help="simulated start of event time (default: now)",
    )
    add_common_options(stream)
    stream_default(stream, "option_max_in_flight_orders", STREAM_MAX_IN_FLIGHT_ORDERS)

    batch = commands.add_parser(
        "batch", help="write exactly --events N events (one shard of them)", epilog=env_note
    )
    batch.add_argument(
        "--events",
        type=flag_type(positive_int),
        metavar="N",
        help="total events across all shards (required)",
    )
    batch.add_argument(
        "--shard-index",
        type=flag_type(non_negative_int),
        metavar="I",
        help="this shard (default JOB_COMPLETION_INDEX, else 0)",
    )
    batch.add_argument(
        "--shard-count",
        type=flag_type(positive_int),
        default=1,
        metavar="K",
        help="number of shards (default 1)",
    )
    batch.add_argument(
        "--start",
        type=flag_type(parse_start),
        metavar="ISO",
        help="simulated start (default midnight UTC today)",
    )
    batch.add_argument(
        "--span",
        type=flag_type(parse_duration),
        default=86_400.0,
        metavar="DURATION",
        help="simulated time covered (default 1d)",
    )
    batch.add_argument(
        "--chunk-size",
        type=flag_type(positive_int),
        default=10_000,
        metavar="N",
        help="events generated per step (default 10000)",
    )
    batch.add_argument(
        "--interrupted-exit-code",
        type=flag_type(exit_code),
        default=0,
        metavar="CODE",
        help="exit code when a signal stops the shard before all its events are generated "
        "(default 0; Jobs set a non-zero code so the shard is retried, not counted done)",
    )
    add_common_options(batch)

    schema = commands.add_parser("schema", help="print the event schema")
    schema.add_argument(
        "--format",
        choices=("bigquery", "jsonschema"),
        default="bigquery",
        help="schema dialect (default bigquery)",
    )
    audit = commands.add_parser(
        "audit",
        help="prove every event arrived exactly once (files, gs://, a subscription, bq://)",
        epilog=env_note + " Exit 0: complete, exactly once; 1: missing or doubled; 2: bad input.",
    )
    add_audit_options(audit)
    return parser, {"stream": stream, "batch": batch, "schema": schema, "audit": audit}


def parse_args(argv: Sequence[str] | None, environ: Mapping[str, str]) -> argparse.Namespace:
    """Parse ``argv`` with ``EVENTGEN_*`` variables from ``environ`` as defaults."""
    parser, subparsers = build_parser()
    args_list = list(sys.argv[1:] if argv is None else argv)
    # Environment defaults belong to the chosen subcommand's parser; find it first.
    command = next((arg for arg in args_list if not arg.startswith("-")), None)
    if command in subparsers:
        apply_environment(subparsers[command], environ)
        args_list = attach_dash_values(args_list, subparsers[command])
    return parser.parse_args(args_list)


def attach_dash_values(args_list: list[str], parser: argparse.ArgumentParser) -> list[str]:
    """``--duration -5s`` as ``--duration=-5s``, so the value's own check explains it.

    argparse takes a value starting with ``-`` for an option and says "expected one
    argument", which hides the real problem (a negative duration). A value that is itself
    one of the parser's options (``--output --gzip``) is left alone: that one is missing.
    """
    known = parser._option_string_actions  # argparse offers no public way to list options
    joined: list[str] = []
    index = 0
    while index < len(args_list):
        token = args_list[index]
        action = known.get(token)
        following = args_list[index + 1] if index + 1 < len(args_list) else None
        if (
            action is not None
            and action.nargs is None
            and action.option_strings[0].startswith("--")
            and following is not None
            and following.startswith("-")
            and not following.startswith("--")
            and following not in known
        ):
            joined.append(f"{token}={following}")
            index += 2
            continue
        joined.append(token)
        index += 1
    return joined
