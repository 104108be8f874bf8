"""``eventgen audit SOURCE…``: read the sources, judge, print the verdict, return the exit code.

SOURCE is a local file or folder, ``gs://BUCKET/PREFIX``,
``projects/PROJECT/subscriptions/SUBSCRIPTION`` or ``bq://PROJECT.DATASET.TABLE``. Files,
objects and subscriptions may be combined into one verdict (a generator's events spread
over several places); a table is audited alone, since BigQuery computes its verdict.
"""

from __future__ import annotations

import argparse
import datetime as dt
import sys
from typing import Any

from eventgen.audit import bigquery, files, report, storage, subscription
from eventgen.audit.tally import Tally
from eventgen.audit.verdict import Expectations, Verdict
from eventgen.errors import ConfigError


def kind_of(source: str) -> str:
    """``file``, ``gcs``, ``subscription`` or ``bigquery``, from the SOURCE's form."""
    if source.startswith("gs://"):
        return "gcs"
    if source.startswith("bq://"):
        return "bigquery"
    if source.startswith("projects/") and "/subscriptions/" in source:
        return "subscription"
    return "file"


def fault_rate(text: str) -> float:
    """A fault setting as the generator takes it: a share of events from 0 to 1."""
    try:
        value = float(text)
    except ValueError:
        raise ValueError(f"invalid rate {text!r} (a number from 0 to 1)") from None
    if not 0.0 <= value <= 1.0:
        raise ValueError(f"rate {text!r} must be from 0 to 1")
    return value


def instant(text: str) -> dt.datetime:
    """An ISO date or datetime; naive values are UTC."""
    try:
        value = dt.datetime.fromisoformat(text)
    except ValueError:
        raise ValueError(f"invalid time {text!r} (use an ISO date or datetime)") from None
    return value if value.tzinfo else value.replace(tzinfo=dt.UTC)


def expectations(args: argparse.Namespace) -> Expectations:
    return Expectations(
        allow_duplicates=args.allow_duplicates,
        duplicate_rate=args.duplicate_rate,
        malformed_rate=args.malformed_rate,
        expected_events=args.expected_events,
    )


def audit_streamed(args: argparse.Namespace, sources: list[str]) -> Verdict:
    """Files, objects and subscriptions, all counted into one tally."""
    tally = Tally()
    for source in sources:
        kind = kind_of(source)
        if kind == "gcs":
            storage.audit_bucket(source, tally)
        elif kind == "subscription":
            path = subscription.check_subscription(
                source, allow_pipeline=args.allow_pipeline_subscription
            )
            subscription.audit_subscription(
                path, tally, idle_seconds=args.idle_timeout, max_messages=args.max_messages
            )
        else:
            files.audit_paths([source], tally)
    if tally.records == 0:
        raise ConfigError(f"no records in {', '.join(sources)}")
    return tally.verdict(", ".join(sources), expectations(args))


def audit_table(args: argparse.Namespace, source: str, client: Any = None) -> Verdict | None:
    """A table: dry run (bytes to stderr), then the query unless --dry-run. None if dry."""
    table = bigquery.parse_table(source, args.since, args.until)
    client = client if client is not None else bigquery.make_client(table.project)
    scanned = bigquery.dry_run(client, table)
    print(
        f"eventgen: BigQuery will scan {scanned:,} bytes ({scanned / 2**30:.2f} GiB) of "
        f"{table.table_id} for event_timestamp in [{table.since.isoformat()}, "
        f"{table.until.isoformat()})",
        file=sys.stderr,
    )
    if args.dry_run:
        return None
    rows = bigquery.run_query(client, table, args.max_bytes_billed)
    if not rows:
        raise ConfigError(
            f"{source}: no events with event_timestamp in "
            f"[{table.since.isoformat()}, {table.until.isoformat()})"
        )
    return bigquery.verdict_from_rows(source, rows, expectations(args))


def run(args: argparse.Namespace) -> int:
    """The ``audit`` command; returns 0 (complete, exactly once) or 1 (missing or doubled)."""
    sources: list[str] = args.sources
    kinds = {kind_of(source) for source in sources}
    if "bigquery" in kinds and len(sources) > 1:
        raise ConfigError("a bq:// table is audited alone (BigQuery computes its verdict)")
    if "bigquery" not in kinds and (args.since or args.until or args.dry_run):
        raise ConfigError("--since, --until and --dry-run apply to a bq:// table only")
    verdict = (
        audit_table(args, sources[0]) if "bigquery" in kinds else audit_streamed(args, sources)
    )
    if verdict is None:
        return 0
    print(report.json_text(verdict) if args.format == "json" else report.text(verdict))
    return verdict.exit_code
