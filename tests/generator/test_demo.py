"""``./dev demo``: a local batch and a short paced stream, no cloud."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

from tests.support.cli_process import clean_env


def run_demo(out: Path) -> subprocess.CompletedProcess[str]:
    """``python -m eventgen.demo --out OUT``, as ``./dev demo`` runs it."""
    return subprocess.run(
        [sys.executable, "-m", "eventgen.demo", "--out", str(out)],
        env=clean_env(),
        capture_output=True,
        text=True,
        timeout=300,
    )


def test_demo_writes_a_batch_and_a_stream_and_shows_an_event(tmp_path: Path) -> None:
    result = run_demo(tmp_path / "out")
    assert result.returncode == 0, result.stderr
    (batch,) = (tmp_path / "out" / "batch").iterdir()
    (stream,) = (tmp_path / "out" / "stream").iterdir()
    assert sum(1 for _ in batch.open()) == 100_000
    stream_events = [json.loads(line) for line in stream.open()]
    assert len(stream_events) == 10_000
    assert "generated=100000 delivered=100000 failed=0" in result.stderr
    assert "generated=10000 delivered=10000 failed=0" in result.stderr
    assert str(batch) in result.stderr and str(stream) in result.stderr
    sample = result.stderr.split("a sample event (one JSON object per line):", 1)[1].strip()
    assert sample == batch.open().readline().rstrip("\n"), "the sample is shown as written"


def test_a_second_demo_run_replaces_the_first_runs_stream_file(tmp_path: Path) -> None:
    for _ in range(2):
        result = run_demo(tmp_path / "out")
        assert result.returncode == 0, result.stderr
    assert len(list((tmp_path / "out" / "stream").iterdir())) == 1
