"""The ``eventgen`` command as users run it: errors, schema, sharded batches, environment."""

from __future__ import annotations

import json
from pathlib import Path

from eventgen.shop.schema import bigquery_schema, json_schema
from tests.support.cli_process import run_eventgen, summary

# Bad input: tests/generator/test_bad_input.py (a table of command lines and environments).


def test_schema_prints_the_models_bigquery_and_json_schemas() -> None:
    bigquery = run_eventgen(["schema", "--format", "bigquery"])
    assert bigquery.returncode == 0
    assert json.loads(bigquery.stdout) == bigquery_schema()
    as_jsonschema = run_eventgen(["schema", "--format", "jsonschema"])
    assert json.loads(as_jsonschema.stdout) == json_schema()


def read_events(folder: Path) -> list[dict[str, object]]:
    return [json.loads(line) for path in sorted(folder.iterdir()) for line in path.open()]


def test_batch_shards_add_up_to_exactly_n_and_are_disjoint(tmp_path: Path) -> None:
    total, shards = 1_001, 3
    for index in range(shards):
        result = run_eventgen(
            ["batch", "--name", "orders", "--seed", "7", "--output", f"{tmp_path}/"],
            env={
                "EVENTGEN_EVENTS": str(total),
                "EVENTGEN_SHARD_COUNT": str(shards),
                "JOB_COMPLETION_INDEX": str(index),
            },
        )
        assert result.returncode == 0, result.stderr
        report = summary(result.stderr)
        expected = total // shards + (1 if index < total % shards else 0)
        assert report["generated"] == report["delivered"] == str(expected)
        assert report["failed"] == "0"
    assert sorted(p.name for p in tmp_path.iterdir()) == [
        f"orders-shard-{i}-part-00000.jsonl" for i in range(shards)
    ]
    events = read_events(tmp_path)
    assert len(events) == total
    assert len({e["event_id"] for e in events}) == total, "shards must not repeat events"
    for index in range(shards):
        sequences = [e["sequence"] for e in events if e["generator_id"] == f"orders-shard-{index}"]
        assert sequences == list(range(len(sequences))), "gap-free sequence per shard"


def test_a_shard_rerun_rewrites_the_same_bytes(tmp_path: Path) -> None:
    args = ["batch", "--events", "300", "--seed", "11", "--start", "2026-03-01", "--gzip"]
    first = run_eventgen([*args, "--output", f"{tmp_path}/a/"])
    second = run_eventgen([*args, "--output", f"{tmp_path}/b/"])
    assert first.returncode == second.returncode == 0
    (a,) = (tmp_path / "a").iterdir()
    (b,) = (tmp_path / "b").iterdir()
    assert a.name == b.name == "eventgen-shard-0-part-00000.jsonl.gz"
    assert a.read_bytes() == b.read_bytes()


def test_flags_win_over_environment(tmp_path: Path) -> None:
    result = run_eventgen(
        ["batch", "--events", "4", "--output", str(tmp_path / "x.jsonl")],
        env={"EVENTGEN_EVENTS": "40", "EVENTGEN_GENERATOR_ID": "from-env"},
    )
    assert result.returncode == 0, result.stderr
    events = [json.loads(line) for line in (tmp_path / "x.jsonl").open()]
    assert len(events) == 4
    assert {e["generator_id"] for e in events} == {"from-env"}


def test_generator_options_reach_the_events(tmp_path: Path) -> None:
    result = run_eventgen(
        ["batch", "--events", "200", "--locale", "de_DE", "--output", str(tmp_path / "x.jsonl")]
    )
    assert result.returncode == 0, result.stderr
    events = [json.loads(line) for line in (tmp_path / "x.jsonl").open()]
    assert {e["currency"] for e in events} == {"EUR"}


def test_batch_start_sets_the_first_timestamps(tmp_path: Path) -> None:
    result = run_eventgen(
        ["batch", "--events", "500", "--start", "2026-05-04", "--span", "1h"],
    )
    assert result.returncode == 0, result.stderr
    stamps = sorted(json.loads(line)["event_timestamp"] for line in result.stdout.splitlines())
    assert stamps[0].startswith("2026-05-04T00:")
    assert summary(result.stderr)["output"] == "stdout"


def test_stream_stops_after_events_with_stdout_sink() -> None:
    result = run_eventgen(["stream", "--rate", "5000", "--events", "250"])
    assert result.returncode == 0, result.stderr
    lines = result.stdout.splitlines()
    assert len(lines) == 250
    assert [json.loads(line)["sequence"] for line in lines] == list(range(250))
    assert summary(result.stderr)["delivered"] == "250"


def test_progress_bar_only_when_stderr_is_a_terminal(tmp_path: Path) -> None:
    import os
    import pty
    import subprocess

    from tests.support.cli_process import clean_env, eventgen_command

    args = ["batch", "--events", "30000", "--chunk-size", "5000", "--output", f"{tmp_path}/"]
    piped = run_eventgen(args)
    assert piped.returncode == 0
    assert b"%|" not in piped.stderr, "no progress bar in logs"

    controller, terminal = pty.openpty()
    process = subprocess.Popen(
        eventgen_command(*args), env=clean_env(), stdout=subprocess.DEVNULL, stderr=terminal
    )
    os.close(terminal)
    seen = b""
    while True:
        try:
            chunk = os.read(controller, 65536)
        except OSError:  # EIO: the process closed the terminal
            break
        if not chunk:
            break
        seen += chunk
    os.close(controller)
    assert process.wait(timeout=60) == 0
    assert b"100%|" in seen and b"30.0k/30.0k" in seen
    assert b"generated=30000" in seen
