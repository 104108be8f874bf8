"""Stream run identity: a restarted streaming container (same pod name) is a new generator.

Before run ids, two runs of one pod name re-emitted the same event_ids and sequences from 0,
so an event_id deduplicator silently dropped the second run. These run the real command the
way a pod does (generator_id from EVENTGEN_GENERATOR_ID), one run after the other.
"""

from __future__ import annotations

import datetime as dt
import json
import re
import time
from pathlib import Path
from typing import Any

import pytest

from eventgen.runtime.runs import parse_run_id, run_token, stream_generator_id
from tests.support.cli_process import run_eventgen, summary

POD = "shop-7d9f8c6b5-x2x9q"
RUN_TOKEN = re.compile(r"^\d{8}T\d{6}Z$")
EVENTS = 300


def stream_run(
    extra: list[str] | None = None, env: dict[str, str] | None = None
) -> tuple[bytes, list[dict[str, Any]], str]:
    """One ``eventgen stream`` of EVENTS events to stdout as pod POD: (stdout, events, stderr)."""
    result = run_eventgen(
        ["stream", "--seed", "5", "--rate", "5000", "--events", str(EVENTS), *(extra or [])],
        env={"EVENTGEN_GENERATOR_ID": POD, **(env or {})},
    )
    assert result.returncode == 0, result.stderr
    assert summary(result.stderr)["delivered"] == str(EVENTS)
    events = [json.loads(line) for line in result.stdout.splitlines()]
    return result.stdout, events, result.stderr.decode()


def only_generator_id(events: list[dict[str, Any]]) -> str:
    (generator_id,) = {event["generator_id"] for event in events}
    return str(generator_id)


def wait_for_the_next_second(token: str) -> None:
    """Sleep until the UTC second named by ``token`` is over (at most ~1 s), as the >= 10 s
    back-off of a real container restart guarantees."""
    while run_token(dt.datetime.now(dt.UTC)) <= token:
        time.sleep(0.05)


def test_two_runs_of_one_pod_name_share_no_event_id_and_each_is_gap_free_from_0() -> None:
    before = run_token(dt.datetime.now(dt.UTC))
    _, first, _ = stream_run()
    first_id = only_generator_id(first)
    wait_for_the_next_second(first_id.rsplit(".", 1)[1])
    _, second, _ = stream_run()
    after = run_token(dt.datetime.now(dt.UTC))
    second_id = only_generator_id(second)

    assert not {e["event_id"] for e in first} & {e["event_id"] for e in second}
    assert not {e["order_id"] for e in first} & {e["order_id"] for e in second}
    for run_id, events in ((first_id, first), (second_id, second)):
        base, token = run_id.rsplit(".", 1)
        assert base == POD
        assert RUN_TOKEN.match(token), run_id
        assert before <= token <= after, "the run id is the run's UTC start time"
        assert [e["sequence"] for e in events] == list(range(EVENTS))
    assert first_id < second_id, "later runs sort after earlier ones"


def test_stream_parts_are_named_once_by_the_runs_generator_id(tmp_path: Path) -> None:
    names: list[str] = []
    for _ in range(2):
        result = run_eventgen(
            ["stream", "--rate", "5000", "--events", "100", "--output", f"{tmp_path}/"],
            env={"EVENTGEN_GENERATOR_ID": POD},
        )
        assert result.returncode == 0, result.stderr
        (newest,) = [path for path in tmp_path.iterdir() if path.name not in names]
        names.append(newest.name)
        generator_id = only_generator_id([json.loads(line) for line in newest.open()])
        assert newest.name == f"{generator_id}-part-00000.jsonl"
        assert len(re.findall(r"\d{8}T\d{6}Z", newest.name)) == 1, "the run token appears once"
        wait_for_the_next_second(generator_id.rsplit(".", 1)[1])
    assert sorted(path.name for path in tmp_path.iterdir()) == sorted(names)
    assert len(set(names)) == 2, "a restarted stream keeps its previous run's files"


@pytest.mark.parametrize(
    ("extra", "env"),
    [(["--run-id", ""], {}), ([], {"EVENTGEN_RUN_ID": ""})],
    ids=["flag", "environment"],
)
def test_an_empty_run_id_replays_a_stream_byte_for_byte(
    extra: list[str], env: dict[str, str]
) -> None:
    replay = [*extra, "--start", "2026-11-26T12:00:00Z"]
    first, events, _ = stream_run(replay, env)
    wait_for_the_next_second(run_token(dt.datetime.now(dt.UTC)))
    second, _, _ = stream_run(replay, env)

    assert first == second
    assert only_generator_id(events) == POD, "no run id: generator_id is the name as given"
    assert events[0]["event_timestamp"].startswith("2026-11-26T12:00:0")


def test_an_explicit_run_id_names_the_run() -> None:
    _, events, stderr = stream_run(["--run-id", "attempt-2"])
    assert only_generator_id(events) == f"{POD}.attempt-2"
    assert f"stream {POD}.attempt-2 -> stdout" in stderr


@pytest.mark.parametrize(
    ("args", "env", "message"),
    [
        (["--run-id", "../etc"], {}, "run id '../etc' may contain only letters"),
        (["--run-id", "a.b"], {}, "run id 'a.b' may contain only letters"),
        ([], {"EVENTGEN_RUN_ID": "two words"}, "EVENTGEN_RUN_ID='two words'"),
        (["--run-id", "x" * 65], {}, "longer than 64 characters"),
    ],
)
def test_a_bad_run_id_is_one_line_and_exit_2(
    args: list[str], env: dict[str, str], message: str
) -> None:
    result = run_eventgen(["stream", "--events", "5", *args], env)
    lines = result.stderr.decode().splitlines()
    assert result.returncode == 2
    assert len(lines) == 1 and lines[0].startswith("eventgen: error: ") and message in lines[0]
    assert result.stdout == b""


def test_batch_has_no_run_id_so_a_rerun_repeats_its_shard() -> None:
    runs = [run_eventgen(["batch", "--events", "50"], {"EVENTGEN_RUN_ID": "ignored"}) for _ in "ab"]
    assert all(run.returncode == 0 for run in runs), runs[0].stderr
    assert runs[0].stdout == runs[1].stdout
    events = [json.loads(line) for line in runs[0].stdout.splitlines()]
    assert only_generator_id(events) == "eventgen-shard-0"


def test_run_identity_helpers() -> None:
    est = dt.timezone(dt.timedelta(hours=-5))
    assert run_token(dt.datetime(2026, 11, 26, 7, 0, 9, 999_999, tzinfo=est)) == "20261126T120009Z"
    assert stream_generator_id("pod-a", "20261126T120009Z") == "pod-a.20261126T120009Z"
    assert stream_generator_id("pod-a", "") == "pod-a"
    assert parse_run_id("") == "" and parse_run_id("Run_2-b") == "Run_2-b"
    with pytest.raises(ValueError, match="only letters"):
        parse_run_id("a/b")
