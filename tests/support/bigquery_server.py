"""A local BigQuery REST endpoint that runs queries in DuckDB, for the unmodified client.

No BigQuery emulator runs here, so this serves the part of the v2 REST API that
``google.cloud.bigquery.Client.query(...).result()`` uses: jobs.insert (query jobs, dry
runs included), jobs.get and jobs.getQueryResults. A query's text is transpiled from
GoogleSQL to DuckDB with sqlglot and run over tables created in an in-memory DuckDB
database (``PROJECT.DATASET.TABLE`` maps to DuckDB's catalog.schema.table). Each request
body is kept in ``requests`` so tests can check exactly what the client sent.

Not modelled: billing, partitions (a dry run reports the bytes of the columns the query
names, over every row), legacy SQL, anything but TIMESTAMP/INT64/STRING parameters.
"""

from __future__ import annotations

import datetime as dt
import json
import re
import tempfile
import threading
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import duckdb
import orjson
import sqlglot

JOBS = re.compile(r"^/bigquery/v2/projects/([^/]+)/jobs/?$")
JOB = re.compile(r"^/bigquery/v2/projects/([^/]+)/jobs/([^/?]+)")
RESULTS = re.compile(r"^/bigquery/v2/projects/([^/]+)/queries/([^/?]+)")
TYPES = {
    "VARCHAR": "STRING",
    "BIGINT": "INTEGER",
    "INTEGER": "INTEGER",
    "HUGEINT": "INTEGER",
    "DOUBLE": "FLOAT",
    "TIMESTAMP WITH TIME ZONE": "TIMESTAMP",
    "BOOLEAN": "BOOLEAN",
}


class QueryError(Exception):
    def __init__(self, status: int, reason: str, message: str) -> None:
        super().__init__(message)
        self.status, self.reason = status, reason


class LocalBigQuery:
    """The database, the jobs run so far, and the request bodies received."""

    def __init__(self) -> None:
        self.database = duckdb.connect()
        self.lock = threading.Lock()
        self.jobs: dict[str, dict[str, Any]] = {}
        self.results: dict[str, tuple[list[dict[str, Any]], list[list[Any]]]] = {}
        self.requests: list[dict[str, Any]] = []

    def create_events_table(self, project: str, dataset: str, table: str) -> str:
        """An empty events table (the columns the audit reads); returns its DuckDB name."""
        name = f'"{project}"."{dataset}"."{table}"'
        with self.lock:
            self.database.execute(f"ATTACH IF NOT EXISTS ':memory:' AS \"{project}\"")
            self.database.execute(f'CREATE SCHEMA IF NOT EXISTS "{project}"."{dataset}"')
            self.database.execute(
                f"CREATE TABLE {name} (event_id VARCHAR, event_timestamp TIMESTAMPTZ, "
                "generator_id VARCHAR, sequence BIGINT)"
            )
        return name

    def insert_events(self, name: str, events: list[dict[str, Any]]) -> None:
        with self.lock:
            load_events(self.database, name, events)

    def insert_job(self, project: str, body: dict[str, Any]) -> dict[str, Any]:
        self.requests.append(body)
        query = body["configuration"]["query"]
        sql = sqlglot.transpile(query["query"], read="bigquery", write="duckdb")[0]
        parameters = {p["name"]: parameter_value(p) for p in query.get("queryParameters", [])}
        job_id = body.get("jobReference", {}).get("jobId") or uuid.uuid4().hex
        reference = {"projectId": project, "jobId": job_id, "location": "US"}
        with self.lock:
            try:
                if body["configuration"].get("dryRun"):
                    self.database.execute(f"EXPLAIN {sql}", parameters)
                    scanned = self.scanned_bytes(query["query"])
                    return job_resource(reference, body, {"totalBytesProcessed": str(scanned)})
                cursor = self.database.execute(sql, parameters)
            except duckdb.CatalogException as error:
                raise QueryError(404, "notFound", f"Not found: {error}") from None
            except duckdb.Error as error:
                raise QueryError(400, "invalidQuery", str(error)) from None
            columns = [
                {
                    "name": name,
                    "type": TYPES.get(str(kind).removesuffix("[]"), "STRING"),
                    "mode": "REPEATED" if str(kind).endswith("[]") else "NULLABLE",
                }
                for name, kind in zip(
                    [d[0] for d in cursor.description],
                    [d[1] for d in cursor.description],
                    strict=True,
                )
            ]
            self.results[job_id] = (columns, [list(row) for row in cursor.fetchall()])
        job = job_resource(reference, body, {"totalBytesProcessed": "0"})
        self.jobs[job_id] = job
        return job

    def scanned_bytes(self, query: str) -> int:
        """Bytes of the table columns the query names (BigQuery bills by column)."""
        tree = sqlglot.parse_one(query, read="bigquery")
        (table,) = {t.sql("bigquery") for t in tree.find_all(sqlglot.exp.Table) if t.args.get("db")}
        duck = sqlglot.transpile(f"SELECT * FROM {table}", read="bigquery", write="duckdb")[0]
        columns = {c.name for c in tree.find_all(sqlglot.exp.Column)}
        sizes = {
            "generator_id": "strlen(generator_id)",
            "event_id": "strlen(event_id)",
            "sequence": "8",
            "event_timestamp": "8",
        }
        expression = " + ".join(sizes[c] for c in sorted(columns & set(sizes)))
        row = self.database.execute(
            f"SELECT COALESCE(SUM({expression}), 0) FROM ({duck})"
        ).fetchone()
        return int(row[0]) if row else 0

    def query_results(self, job_id: str) -> dict[str, Any]:
        columns, rows = self.results[job_id]
        return {
            "kind": "bigquery#getQueryResultsResponse",
            "jobReference": self.jobs[job_id]["jobReference"],
            "jobComplete": True,
            "schema": {"fields": columns},
            "totalRows": str(len(rows)),
            # BigQuery has no NULL arrays: a NULL ARRAY comes back empty.
            "rows": [
                {
                    "f": [
                        cell([] if v is None and c["mode"] == "REPEATED" else v)
                        for v, c in zip(row, columns, strict=True)
                    ]
                }
                for row in rows
            ],
        }


def load_events(database: Any, name: str, events: list[dict[str, Any]]) -> None:
    """Append events (as parsed from their JSON) to DuckDB table ``name``, through one
    NDJSON file: DuckDB reads that in one go, where executemany inserts row by row."""
    columns = ("event_id", "event_timestamp", "generator_id", "sequence")
    with tempfile.NamedTemporaryFile("wb", suffix=".jsonl") as spool:
        spool.write(b"".join(orjson.dumps({c: e[c] for c in columns}) + b"\n" for e in events))
        spool.flush()
        database.execute(
            f"INSERT INTO {name} SELECT event_id, event_timestamp::TIMESTAMPTZ, generator_id, "
            "sequence FROM read_json(?, columns = {event_id: 'VARCHAR', "
            "event_timestamp: 'VARCHAR', generator_id: 'VARCHAR', sequence: 'BIGINT'})",
            [spool.name],
        )


def parameter_value(parameter: dict[str, Any]) -> Any:
    kind = parameter["parameterType"]["type"]
    value = parameter["parameterValue"]["value"]
    if kind == "TIMESTAMP":
        return dt.datetime.fromisoformat(value.replace(" ", "T").replace("Z", "+00:00"))
    return int(value) if kind == "INT64" else value


def cell(value: Any) -> dict[str, Any]:
    if isinstance(value, list):
        return {"v": [cell(v) for v in value]}
    return {"v": None if value is None else str(value)}


def job_resource(
    reference: dict[str, str], body: dict[str, Any], statistics: dict[str, str]
) -> dict[str, Any]:
    return {
        "kind": "bigquery#job",
        "id": f"{reference['projectId']}:US.{reference['jobId']}",
        "jobReference": reference,
        "configuration": body["configuration"],
        "status": {"state": "DONE"},
        "statistics": {"query": statistics, **statistics},
    }


def handler_for(service: LocalBigQuery) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        def log_message(self, *_: Any) -> None:  # quiet
            pass

        def reply(self, status: int, body: dict[str, Any]) -> None:
            data = json.dumps(body).encode()
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

        def fail(self, error: QueryError) -> None:
            self.reply(
                error.status,
                {
                    "error": {
                        "code": error.status,
                        "message": str(error),
                        "errors": [{"reason": error.reason, "message": str(error)}],
                    }
                },
            )

        def do_POST(self) -> None:
            match = JOBS.match(self.path.split("?")[0])
            length = int(self.headers.get("Content-Length", 0))
            body = json.loads(self.rfile.read(length) or b"{}")
            if not match:
                self.fail(QueryError(404, "notFound", f"no route {self.path}"))
                return
            try:
                self.reply(200, service.insert_job(match.group(1), body))
            except QueryError as error:
                self.fail(error)

        def do_GET(self) -> None:
            path = self.path.split("?")[0]
            if (match := RESULTS.match(path)) and match.group(2) in service.results:
                self.reply(200, service.query_results(match.group(2)))
            elif (match := JOB.match(path)) and match.group(2) in service.jobs:
                self.reply(200, service.jobs[match.group(2)])
            else:
                self.fail(QueryError(404, "notFound", f"Not found: {path}"))

    return Handler


@contextmanager
def running_bigquery() -> Iterator[tuple[LocalBigQuery, str]]:
    """A local endpoint on 127.0.0.1 and a free port: ``(service, "http://127.0.0.1:PORT")``."""
    service = LocalBigQuery()
    server = ThreadingHTTPServer(("127.0.0.1", 0), handler_for(service))
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield service, f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()
        service.database.close()
