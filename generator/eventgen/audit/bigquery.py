"""A BigQuery table: one query computes the verdict inside BigQuery, per generator_id.

The table is day-partitioned on ``event_timestamp``, so the query is bounded by
``@since <= event_timestamp < @until`` and scans only those days' partitions, and only the
three columns it names (``generator_id``, ``sequence``, ``event_id``). Before it runs, a dry
run of the same query and parameters reports the bytes it will scan (and bill).

Per generator_id the query returns: ``expected`` (max(sequence) + 1), ``seen`` (distinct
sequences), ``rows``, ``doubled`` (rows beyond the first per sequence),
``repeated_event_ids`` (extra sequences sharing one event_id: injected duplicates),
``missing`` and ``missing_ranges`` (gaps found with LAG over the distinct sequences; the
first few listed). Its semantics are tested by transpiling this very text with sqlglot to
DuckDB and running it over the same events as the file audit (see docs/audit.md).
"""

from __future__ import annotations

import datetime as dt
import importlib
import re
from dataclasses import dataclass
from typing import Any

from eventgen.audit.tally import RANGES_SHOWN
from eventgen.audit.verdict import Expectations, GeneratorVerdict, Verdict, judge
from eventgen.errors import ConfigError, EventgenError

TABLE_URL = re.compile(
    r"^bq://([a-z][a-z0-9.:-]{4,62}[a-z0-9])\.([A-Za-z0-9_]{1,1024})\.([A-Za-z0-9_$-]{1,1024})$"
)

QUERY = """
WITH events AS (
  SELECT generator_id, sequence, event_id
  FROM `{table}`
  WHERE event_timestamp >= @since AND event_timestamp < @until
),
per_sequence AS (
  SELECT generator_id, sequence, COUNT(*) AS copies
  FROM events
  GROUP BY generator_id, sequence
),
gaps AS (
  SELECT
    generator_id,
    LAG(sequence, 1, -1) OVER (PARTITION BY generator_id ORDER BY sequence) + 1 AS gap_first,
    sequence - 1 AS gap_last
  FROM per_sequence
),
numbered_gaps AS (
  SELECT
    generator_id, gap_first, gap_last,
    ROW_NUMBER() OVER (PARTITION BY generator_id ORDER BY gap_first) AS gap_number
  FROM gaps
  WHERE gap_last >= gap_first
),
missing AS (
  SELECT
    generator_id,
    SUM(gap_last - gap_first + 1) AS missing,
    COUNT(*) AS missing_range_count,
    ARRAY_AGG(
      CASE WHEN gap_number <= {ranges}
        THEN CONCAT(CAST(gap_first AS STRING), '-', CAST(gap_last AS STRING)) END
      IGNORE NULLS ORDER BY gap_first
    ) AS missing_ranges
  FROM numbered_gaps
  GROUP BY generator_id
),
repeated AS (
  SELECT generator_id, SUM(sequences - 1) AS repeated_event_ids
  FROM (
    SELECT generator_id, event_id, COUNT(DISTINCT sequence) AS sequences
    FROM events
    GROUP BY generator_id, event_id
  ) AS per_event_id
  GROUP BY generator_id
),
totals AS (
  SELECT
    generator_id,
    MAX(sequence) + 1 AS expected,
    COUNT(*) AS seen,
    SUM(copies) AS records,
    SUM(copies - 1) AS doubled
  FROM per_sequence
  GROUP BY generator_id
)
SELECT
  t.generator_id,
  t.expected,
  t.seen,
  t.records,
  t.doubled,
  COALESCE(r.repeated_event_ids, 0) AS repeated_event_ids,
  COALESCE(m.missing, 0) AS missing,
  COALESCE(m.missing_range_count, 0) AS missing_range_count,
  m.missing_ranges
FROM totals AS t
LEFT JOIN missing AS m ON m.generator_id = t.generator_id
LEFT JOIN repeated AS r ON r.generator_id = t.generator_id
ORDER BY t.generator_id
""".strip()


@dataclass(frozen=True)
class TableAudit:
    """What to audit: ``project.dataset.table`` and the event time range [since, until)."""

    project: str
    dataset: str
    table: str
    since: dt.datetime
    until: dt.datetime

    @property
    def table_id(self) -> str:
        return f"{self.project}.{self.dataset}.{self.table}"


def parse_table(url: str, since: dt.datetime | None, until: dt.datetime | None) -> TableAudit:
    """``bq://PROJECT.DATASET.TABLE`` and the time range; ConfigError on bad input."""
    match = TABLE_URL.match(url)
    if match is None:
        raise ConfigError(f"{url}: expected bq://PROJECT.DATASET.TABLE")
    if since is None:
        raise ConfigError(
            "a BigQuery source needs --since (the query reads only the partitions of "
            "[--since, --until); without a bound it would scan the whole table)"
        )
    until = until or dt.datetime.now(dt.UTC)
    if until <= since:
        raise ConfigError(f"--until {until.isoformat()} is not after --since {since.isoformat()}")
    project, dataset, name = match.groups()
    return TableAudit(project, dataset, name, since=since, until=until)


def audit_query(table_id: str, ranges: int = RANGES_SHOWN) -> str:
    """The query ``eventgen audit`` sends for ``table_id`` (parameters @since, @until)."""
    return QUERY.format(table=table_id, ranges=int(ranges))


def bigquery_module() -> Any:
    """``google.cloud.bigquery``, imported by name: it ships type hints, and a typed module
    under ``google.cloud`` makes mypy stop treating its untyped siblings (pubsub_v1,
    storage) as missing imports."""
    return importlib.import_module("google.cloud.bigquery")


def query_parameters(audit: TableAudit) -> list[Any]:
    bigquery = bigquery_module()

    return [
        bigquery.ScalarQueryParameter("since", "TIMESTAMP", audit.since),
        bigquery.ScalarQueryParameter("until", "TIMESTAMP", audit.until),
    ]


def make_client(project: str) -> Any:
    """A BigQuery client for ``project``: Application Default Credentials, or anonymous
    against ``BIGQUERY_EMULATOR_HOST`` (an ``http://host:port`` the client library honours)."""
    import os

    from google.auth.exceptions import DefaultCredentialsError

    bigquery = bigquery_module()
    try:
        if os.environ.get("BIGQUERY_EMULATOR_HOST"):
            credentials = importlib.import_module("google.auth.credentials")
            return bigquery.Client(project=project, credentials=credentials.AnonymousCredentials())
        return bigquery.Client(project=project)
    except DefaultCredentialsError as error:
        raise ConfigError(f"BigQuery: no credentials ({first_line(error)})") from None


def dry_run(client: Any, audit: TableAudit) -> int:
    """Bytes the audit query will scan, from a dry run (nothing is billed)."""
    bigquery = bigquery_module()

    config = bigquery.QueryJobConfig(
        dry_run=True, use_query_cache=False, query_parameters=query_parameters(audit)
    )
    job = _call(lambda: client.query(audit_query(audit.table_id), job_config=config), audit)
    return int(job.total_bytes_processed or 0)


def run_query(client: Any, audit: TableAudit, max_bytes_billed: int | None) -> list[dict[str, Any]]:
    """The query's rows, one per generator_id, as dicts."""
    bigquery = bigquery_module()

    config = bigquery.QueryJobConfig(
        query_parameters=query_parameters(audit), maximum_bytes_billed=max_bytes_billed
    )
    job = _call(lambda: client.query(audit_query(audit.table_id), job_config=config), audit)
    return [dict(row.items()) for row in _call(job.result, audit)]


def _call(action: Any, audit: TableAudit) -> Any:
    from google.api_core.exceptions import BadRequest, Forbidden, GoogleAPIError, NotFound

    try:
        return action()
    except NotFound as error:
        raise ConfigError(f"bq://{audit.table_id}: {first_line(error)}") from None
    except (BadRequest, Forbidden) as error:
        raise ConfigError(f"bq://{audit.table_id}: {first_line(error)}") from None
    except GoogleAPIError as error:
        raise EventgenError(f"bq://{audit.table_id}: {first_line(error)}") from None


def first_line(error: Exception) -> str:
    return str(error).splitlines()[0] if str(error) else type(error).__name__


def parse_range(text: str) -> tuple[int, int]:
    first, _, last = text.partition("-")
    return int(first), int(last)


def verdict_from_rows(
    source: str, rows: list[dict[str, Any]], expectations: Expectations
) -> Verdict:
    """The verdict from the query's rows (malformed events never reach a table)."""
    generators = [
        GeneratorVerdict(
            generator_id=row["generator_id"],
            expected=int(row["expected"]),
            seen=int(row["seen"]),
            missing=int(row["missing"]),
            missing_ranges=tuple(parse_range(r) for r in row["missing_ranges"] or ()),
            missing_range_count=int(row["missing_range_count"]),
            doubled=int(row["doubled"]),
            repeated_event_ids=int(row["repeated_event_ids"]),
        )
        for row in rows
    ]
    return judge(
        source,
        generators,
        records=sum(int(row["records"]) for row in rows),
        unattributed_malformed=0,
        expectations=expectations,
        malformed_visible=False,
    )
