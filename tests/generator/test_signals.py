"""Stopping: SIGTERM/SIGINT deliver what was generated; SIGKILL never damages finished files."""

from __future__ import annotations

import json
import signal
import subprocess
from pathlib import Path

import pytest

from tests.support.cli_process import clean_env, eventgen_command, summary
from tests.support.waiting import wait_for


def start(args: list[str], stdout: int | None = subprocess.DEVNULL) -> subprocess.Popen[bytes]:
    # Unbuffered pipes: a line read here must not hide bytes from communicate().
    return subprocess.Popen(
        eventgen_command(*args),
        env=clean_env(),
        stdout=stdout,
        stderr=subprocess.PIPE,
        bufsize=0,
    )


def finished_parts(folder: Path) -> list[Path]:
    return sorted(p for p in folder.iterdir() if not p.name.endswith(".tmp"))


def check_complete_and_gap_free(parts: list[Path], expected: int) -> None:
    """Every finished file parses line by line and together they hold sequences 0..n-1."""
    sequences = [json.loads(line)["sequence"] for part in parts for line in part.open("rb")]
    assert sequences == list(range(expected))


def test_an_interrupted_shard_exits_with_the_interrupted_code_after_delivering(
    tmp_path: Path,
) -> None:
    # How the operator's Jobs run shards: a short shard must not count as a finished one.
    args = ["batch", "--events", "50000000", "--output", f"{tmp_path}/", "--rotate-bytes", "2MiB"]
    process = subprocess.Popen(
        eventgen_command(*args),
        env={**clean_env(), "EVENTGEN_INTERRUPTED_EXIT_CODE": "75"},
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        bufsize=0,
    )
    wait_for(lambda: finished_parts(tmp_path), 60, "the first finished part")
    process.send_signal(signal.SIGTERM)
    _, stderr = process.communicate(timeout=60)
    assert process.returncode == 75, stderr
    report = summary(stderr)
    assert 0 < int(report["generated"]) < 50_000_000
    assert report["delivered"] == report["generated"]
    assert b"shard incomplete" in stderr
    check_complete_and_gap_free(finished_parts(tmp_path), int(report["generated"]))


def test_a_completed_shard_exits_0_whatever_the_interrupted_code(tmp_path: Path) -> None:
    result = subprocess.run(
        eventgen_command("batch", "--events", "2000", "--output", f"{tmp_path}/"),
        env={**clean_env(), "EVENTGEN_INTERRUPTED_EXIT_CODE": "75"},
        capture_output=True,
        timeout=60,
    )
    assert result.returncode == 0, result.stderr
    assert summary(result.stderr)["generated"] == "2000"


@pytest.mark.parametrize("signum", [signal.SIGTERM, signal.SIGINT])
def test_signal_mid_batch_delivers_everything_generated_and_exits_0(
    tmp_path: Path, signum: signal.Signals
) -> None:
    args = ["batch", "--events", "50000000", "--output", f"{tmp_path}/", "--rotate-bytes", "2MiB"]
    process = start(args)
    wait_for(lambda: finished_parts(tmp_path), 60, "the first finished part")
    process.send_signal(signum)
    _, stderr = process.communicate(timeout=60)
    assert process.returncode == 0, stderr
    report = summary(stderr)
    generated = int(report["generated"])
    assert 0 < generated < 50_000_000
    assert report["delivered"] == report["generated"]
    assert report["failed"] == "0"
    parts = list(tmp_path.iterdir())
    assert not [p for p in parts if p.name.endswith(".tmp")], "the open part was completed"
    check_complete_and_gap_free(sorted(parts), generated)


def test_sigterm_mid_stream_to_a_folder_delivers_and_exits_0(tmp_path: Path) -> None:
    process = start(["stream", "--rate", "3000", "--output", f"{tmp_path}/"])
    wait_for(lambda: list(tmp_path.iterdir()), 30, "the stream's first part to open")
    process.send_signal(signal.SIGTERM)
    _, stderr = process.communicate(timeout=60)
    assert process.returncode == 0, stderr
    report = summary(stderr)
    assert int(report["generated"]) > 0
    assert report["delivered"] == report["generated"]
    check_complete_and_gap_free(finished_parts(tmp_path), int(report["generated"]))


def test_sigterm_mid_stream_to_stdout_loses_no_line() -> None:
    process = start(["stream", "--rate", "2000"], stdout=subprocess.PIPE)
    assert process.stdout is not None
    first = process.stdout.readline()  # the stream is running and writing
    process.send_signal(signal.SIGTERM)
    rest, stderr = process.communicate(timeout=60)
    assert process.returncode == 0, stderr
    lines = (first + rest).splitlines()
    report = summary(stderr)
    assert len(lines) == int(report["delivered"]) == int(report["generated"])
    assert [json.loads(line)["sequence"] for line in lines] == list(range(len(lines)))


def test_sigkill_leaves_only_complete_files_and_one_tmp(tmp_path: Path) -> None:
    args = ["batch", "--events", "50000000", "--output", f"{tmp_path}/", "--rotate-bytes", "1MiB"]
    process = start(args)
    wait_for(lambda: len(finished_parts(tmp_path)) >= 2, 60, "two finished parts")
    process.kill()
    process.communicate(timeout=60)
    tmps = [p for p in tmp_path.iterdir() if p.name.endswith(".tmp")]
    assert len(tmps) <= 1
    parts = finished_parts(tmp_path)
    lines = sum(1 for part in parts for _ in part.open("rb"))
    check_complete_and_gap_free(parts, lines)
    assert all(part.read_bytes().endswith(b"\n") for part in parts)
