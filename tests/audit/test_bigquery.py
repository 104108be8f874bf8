"""``eventgen audit bq://…``: the query's shape, its semantics in DuckDB, and the real client.

No BigQuery runs here. The query ``eventgen audit`` sends is (1) parsed as GoogleSQL by
sqlglot to check what it reads, (2) transpiled by sqlglot to DuckDB and run over the same
events the file audit reads, which must give the same verdict, and (3) sent by the real
google-cloud-bigquery client, through the CLI, to a local REST endpoint that runs it the
same way (tests/support/bigquery_server.py), to check the dry run comes first with the
same query and parameters.
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Iterator
from typing import Any

import duckdb
import orjson
import pytest
import sqlglot
from sqlglot import exp

from eventgen.audit import audit
from eventgen.audit.bigquery import audit_query, verdict_from_rows
from eventgen.audit.verdict import Expectations, GeneratorVerdict, Verdict
from eventgen.cli.main import main
from tests.audit.events import START, generated
from tests.support.bigquery_server import LocalBigQuery, load_events, running_bigquery

TABLE = "my-project.ecommerce_dw.raw_events"
SINCE, UNTIL = START, START + dt.timedelta(days=7)  # a one-day batch ends a little past its day


def test_the_query_reads_three_columns_of_one_table_within_the_time_range() -> None:
    (tree,) = sqlglot.parse(audit_query(TABLE), read="bigquery")
    assert isinstance(tree, exp.Select)
    tables = {t.sql("bigquery") for t in tree.find_all(exp.Table) if t.args.get("db")}
    assert tables == {"`my-project.ecommerce_dw.raw_events`"}
    events = tree.find(exp.CTE)
    assert events is not None and events.alias == "events"
    assert {c.name for c in events.find_all(exp.Column)} == {
        "generator_id",
        "sequence",
        "event_id",
        "event_timestamp",
    }
    where = events.find(exp.Where)
    assert where is not None
    assert where.sql("bigquery") == "WHERE event_timestamp >= @since AND event_timestamp < @until"
    assert {p.name for p in tree.find_all(exp.Parameter)} == {"since", "until"}


def duckdb_verdict(
    events: list[dict[str, Any]], expectations: Expectations
) -> tuple[GeneratorVerdict, ...]:
    return duckdb_judged(events, expectations).generators


def duckdb_judged(events: list[dict[str, Any]], expectations: Expectations) -> Verdict:
    """The verdict of the query, transpiled to DuckDB, over ``events``."""
    database = duckdb.connect()
    database.execute('ATTACH \':memory:\' AS "my-project"; CREATE SCHEMA "my-project".ecommerce_dw')
    database.execute(
        'CREATE TABLE "my-project".ecommerce_dw.raw_events (event_id VARCHAR, '
        "event_timestamp TIMESTAMPTZ, generator_id VARCHAR, sequence BIGINT)"
    )
    load_events(database, '"my-project".ecommerce_dw.raw_events', events)
    sql = sqlglot.transpile(audit_query(TABLE), read="bigquery", write="duckdb")[0]
    cursor = database.execute(sql, {"since": SINCE, "until": UNTIL})
    names = [d[0] for d in cursor.description]
    rows = [dict(zip(names, row, strict=True)) for row in cursor.fetchall()]
    return verdict_from_rows("duckdb", rows, expectations)


def parsed(payloads: list[bytes]) -> list[dict[str, Any]]:
    return [orjson.loads(p) for p in payloads]


def without_event_id_counts(generators: tuple[GeneratorVerdict, ...]) -> list[tuple[Any, ...]]:
    return [
        (
            g.generator_id,
            g.expected,
            g.seen,
            g.missing,
            g.missing_ranges,
            g.missing_range_count,
            g.doubled,
        )
        for g in generators
    ]


def scenario(name: str) -> list[dict[str, Any]]:
    a, b = parsed(generated(3000, "shop-shard-0")), parsed(generated(2000, "shop-shard-1"))
    if name == "none":
        return a + b
    if name == "deleted part":
        return a[:1000] + a[2000:] + b
    if name == "scattered loss":
        return [e for e in a if e["sequence"] % 97 not in (3, 4, 50)] + b[1:]
    if name == "loaded twice":
        return a + b + b[500:1500]
    if name == "many generators":
        return [e for i in range(12) for e in parsed(generated(300, f"pod-{i}.20261126T000000Z"))]
    raise AssertionError(name)


@pytest.mark.parametrize(
    "name", ["none", "deleted part", "scattered loss", "loaded twice", "many generators"]
)
def test_the_query_in_duckdb_gives_the_file_audits_verdict(name: str) -> None:
    events = scenario(name)
    from_files = audit(events).generators
    from_query = duckdb_verdict(events, Expectations())
    assert without_event_id_counts(from_query) == without_event_id_counts(from_files)
    assert all(g.repeated_event_ids == 0 for g in from_query)


def test_the_query_counts_injected_duplicates_as_repeated_event_ids() -> None:
    events = parsed(generated(5000, "shop-shard-0", duplicate_rate=0.05))
    (g,) = duckdb_verdict(events, Expectations())
    copies = len(events) - len({e["event_id"] for e in events})
    assert copies > 100
    assert (g.repeated_event_ids, g.missing, g.doubled) == (copies, 0, 0)


def test_the_query_leaves_out_events_outside_the_time_range() -> None:
    events = parsed(generated(1000, "shop-shard-0"))
    late = dict(events[0], sequence=5000, event_timestamp="2026-12-03T00:00:00.000000Z")
    early = dict(events[0], sequence=6000, event_timestamp="2026-11-25T23:59:59.999999Z")
    (g,) = duckdb_verdict([*events, late, early], Expectations())
    assert (g.expected, g.seen, g.missing) == (1000, 1000, 0)


def loadable(payloads: list[bytes]) -> list[dict[str, Any]]:
    """What a load job or a pipeline puts in the table: malformed events never get there."""
    events = []
    for payload in payloads:
        try:
            event = orjson.loads(payload)
        except orjson.JSONDecodeError:
            continue
        if "order_id" in event and isinstance(event["quantity"], int):
            events.append(event)
    return events


def test_a_table_of_a_faulty_run_is_complete_only_when_the_audit_is_told() -> None:
    events = loadable(generated(20_000, "shop-shard-0", duplicate_rate=0.02, malformed_rate=0.01))
    assert not duckdb_judged(events, Expectations()).complete
    faults = Expectations(duplicate_rate=0.02, malformed_rate=0.01)
    told = duckdb_judged(events, faults)
    assert told.complete, told.problems
    # A real loss beyond what the faults explain still fails.
    assert not duckdb_judged(events[:5000] + events[6000:], faults).complete


def test_a_table_deduplicated_by_event_id_is_complete_when_told_the_duplicate_rate() -> None:
    events, seen = [], set()
    for event in parsed(generated(20_000, "shop-shard-0", duplicate_rate=0.05)):
        if event["event_id"] not in seen:
            seen.add(event["event_id"])
            events.append(event)
    (g,) = duckdb_verdict(events, Expectations())
    assert g.repeated_event_ids == 0 and g.missing > 500
    assert not duckdb_judged(events, Expectations()).complete
    assert duckdb_judged(events, Expectations(duplicate_rate=0.05)).complete


# -- the real client, through the CLI, against the local endpoint ----------------------------


@pytest.fixture
def bigquery(monkeypatch: pytest.MonkeyPatch) -> Iterator[LocalBigQuery]:
    with running_bigquery() as (service, url):
        monkeypatch.setenv("BIGQUERY_EMULATOR_HOST", url)
        table = service.create_events_table("my-project", "ecommerce_dw", "raw_events")
        events = scenario("deleted part")
        redelivered = [e for e in events if e["generator_id"] == "shop-shard-1"][:3]
        service.insert_events(table, events + redelivered)
        yield service


RANGE = ["--since", "2026-11-26", "--until", "2026-12-03"]


def test_the_cli_dry_runs_then_runs_the_same_query(bigquery: LocalBigQuery, capsys: Any) -> None:
    code = main(
        ["audit", "--format", "json", f"bq://{TABLE}", *RANGE, "--max-bytes-billed", "1GiB"]
    )
    out, err = capsys.readouterr()
    assert code == 1
    verdict = json.loads(out)
    assert verdict["problems"] == [
        "1,000 events missing in 1 generator(s)",
        "3 records repeat a sequence already seen (doubled delivery); "
        "--allow-duplicates accepts that on an at-least-once path",
    ]
    shard0 = next(g for g in verdict["generators"] if g["generator_id"] == "shop-shard-0")
    assert (shard0["missing_ranges"], shard0["repeated_event_ids"]) == ([[1000, 1999]], 0)
    dry, real = bigquery.requests
    assert dry["configuration"]["dryRun"] is True
    assert "dryRun" not in real["configuration"] or real["configuration"]["dryRun"] is False
    assert dry["configuration"]["query"]["query"] == audit_query(TABLE)
    assert real["configuration"]["query"]["query"] == audit_query(TABLE)
    assert real["configuration"]["query"]["useLegacySql"] is False
    assert (
        dry["configuration"]["query"]["queryParameters"]
        == real["configuration"]["query"]["queryParameters"]
    )
    assert [
        (p["name"], p["parameterType"]["type"])
        for p in real["configuration"]["query"]["queryParameters"]
    ] == [("since", "TIMESTAMP"), ("until", "TIMESTAMP")]
    assert real["configuration"]["query"]["maximumBytesBilled"] == str(2**30)
    assert err.startswith("eventgen: BigQuery will scan ") and "bytes" in err
    assert "[2026-11-26T00:00:00+00:00, 2026-12-03T00:00:00+00:00)" in err


def test_a_dry_run_only_shows_the_bytes(bigquery: LocalBigQuery, capsys: Any) -> None:
    code = main(["audit", f"bq://{TABLE}", *RANGE, "--dry-run"])
    out, err = capsys.readouterr()
    assert (code, out) == (0, "")
    scanned = int(err.split("scan ")[1].split(" bytes")[0].replace(",", ""))
    assert scanned > 0
    assert [r["configuration"].get("dryRun") for r in bigquery.requests] == [True]


@pytest.mark.parametrize(
    ("source", "range_", "message"),
    [
        ("bq://my-project.ecommerce_dw.no_such_table", RANGE, "no_such_table"),
        (
            f"bq://{TABLE}",
            ["--since", "2030-01-01", "--until", "2030-01-02"],
            "no events with event_timestamp in",
        ),
    ],
)
def test_a_missing_table_or_an_empty_range_is_bad_input(
    bigquery: LocalBigQuery, capsys: Any, source: str, range_: list[str], message: str
) -> None:
    code = main(["audit", source, *range_])
    err = capsys.readouterr().err.splitlines()
    assert code == 2
    assert err[-1].startswith("eventgen: error: ") and message in err[-1]
