"""``eventgen stream --shape``: the real command follows the curve, takes edits live, and
keeps sequences gap-free and timestamps on the wall clock."""

from __future__ import annotations

import datetime as dt
import json
import subprocess
import time
from pathlib import Path

import pytest

from tests.support.cli_process import clean_env, eventgen_command, run_eventgen, summary


def read_events(folder: Path) -> list[dict[str, object]]:
    return [json.loads(line) for path in sorted(folder.glob("*.jsonl")) for line in path.open()]


def event_seconds(event: dict[str, object]) -> float:
    text = str(event["event_timestamp"]).replace("Z", "+00:00")
    return dt.datetime.fromisoformat(text).timestamp()


@pytest.mark.slow
def test_a_shape_file_steps_the_rate_and_an_edit_applies_without_a_restart(
    tmp_path: Path,
) -> None:
    shape = tmp_path / "shape.yaml"
    began = time.time()
    # Base 400/s; from `start` (6 s from now) x3: 1,200/s. Before it the base as it is. The
    # marks leave the process up to ~4 s to start on a loaded machine: windows are checked
    # by the events' own timestamps, and only once the stream is running.
    start = dt.datetime.fromtimestamp(began + 6, dt.UTC).isoformat()
    shape.write_text(f"start: '{start}'\nstages: [{{factor: 3, durationSeconds: 100}}]\n")
    out = tmp_path / "out"
    process = subprocess.Popen(
        eventgen_command(
            "stream", "--rate", "400", "--shape", str(shape), "--duration", "12s",
            "--output", f"{out}/", "--log-level", "info",
        ),
        env=clean_env(),
        stderr=subprocess.PIPE,
    )  # fmt: skip
    time.sleep(max(0.0, began + 10 - time.time()))
    # Live edit at 10 s: x0.5 (200/s) from now on, without a restart.
    shape.write_text(f"start: '{start}'\nstages: [{{factor: 0.5, durationSeconds: 100}}]\n")
    _, stderr = process.communicate(timeout=60)
    assert process.returncode == 0, stderr.decode()
    assert "shape changed" in stderr.decode()
    events = read_events(out)
    figures = summary(stderr)
    assert int(figures["generated"]) == int(figures["delivered"]) == len(events)
    # One generator, sequences 0..n-1 without a gap.
    assert sorted(int(str(e["sequence"])) for e in events) == list(range(len(events)))
    # Event time is wall time: within a second of when the stream ran.
    times = [event_seconds(e) for e in events]
    assert began - 1 < min(times) and max(times) < time.time() + 1

    def rate(first: float, last: float) -> float:
        """Events per second stamped in [began + first, began + last)."""
        count = sum(1 for t in times if began + first <= t < began + last)
        return count / (last - first)

    # x1 from the stream's first second until the shape's start, x3 until the edit, then x0.5.
    # Each window keeps clear of the changes by the documented lead of stamps (<= 0.5 s).
    running = min(times) - began + 0.5
    assert running <= 4.5, f"the stream started {running - 0.5:.1f} s after launch"
    assert rate(running, 5.5) == pytest.approx(400, rel=0.1)
    assert rate(6.5, 9.5) == pytest.approx(1200, rel=0.05)
    assert rate(11, 12) == pytest.approx(200, rel=0.1)


@pytest.mark.parametrize(
    ("content", "says"),
    [
        ("stages: [{factor: -1, durationSeconds: 3}]", "shape.stages[0].factor"),
        ("bursts: [{at: 20:00, every: day, durationSeconds: 60, factor: 2}]", "in quotes"),
        ("[1, 2]", "a shape is a mapping"),
        (None, "No such file"),
    ],
)
def test_a_bad_shape_file_is_one_line_and_exit_2_before_anything_is_written(
    tmp_path: Path, content: str | None, says: str
) -> None:
    shape = tmp_path / "shape.yaml"
    if content is not None:
        shape.write_text(content)
    out = tmp_path / "out"
    result = run_eventgen(["stream", "--shape", str(shape), "--output", str(out), "--events", "5"])
    assert result.returncode == 2
    lines = result.stderr.decode().strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("eventgen: error: --shape "), lines
    assert says in lines[0]
    assert not out.exists()
