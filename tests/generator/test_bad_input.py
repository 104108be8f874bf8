"""Bad command lines and environment values: one line on stderr, exit 2, nothing written.

Each row runs the real command in a fresh folder that may hold things a user already has
there (a FIFO, a symlink out of the folder, a folder where a file is expected). The command
must refuse before generating: exit code 2, exactly one line ``eventgen: error: ...``, no
traceback, nothing on stdout, and the folder exactly as it was (the FIFO still a FIFO).
"""

from __future__ import annotations

import os
import stat
import subprocess
from pathlib import Path

import pytest

from tests.support.cli_process import run_eventgen

B = ["batch", "--events", "10"]
S = ["stream", "--events", "5"]


def prepare(folder: Path) -> None:
    """What the user already has in the folder the command runs in."""
    os.mkfifo(folder / "fifo")
    (folder / "dir").mkdir()
    (folder / "afile").write_text("keep me\n")
    (folder / "outside").mkdir()
    (folder / "outside" / "precious.jsonl").write_text("precious\n")
    (folder / "out").mkdir()
    (folder / "out" / "link.jsonl").symlink_to(folder / "outside" / "precious.jsonl")
    os.mkfifo(folder / "out" / "eventgen-shard-0-part-00000.jsonl")
    (folder / "out2").mkdir()
    os.mkfifo(folder / "out2" / "f.jsonl.tmp")
    (folder / "linkdir").mkdir()
    (folder / "linkdir" / "to-fifo.jsonl").symlink_to(folder / "linkdir" / "fifo")
    os.mkfifo(folder / "linkdir" / "fifo")


def snapshot(folder: Path) -> dict[str, tuple[int, int, bytes | str | None]]:
    """Every entry's type, size and content (or link target), links not followed."""
    seen: dict[str, tuple[int, int, bytes | str | None]] = {}
    for root, dirs, files in os.walk(folder):
        for name in dirs + files:
            path = Path(root) / name
            info = os.lstat(path)
            content: bytes | str | None = None
            if stat.S_ISREG(info.st_mode):
                content = path.read_bytes()
            elif stat.S_ISLNK(info.st_mode):
                content = os.readlink(path)
            seen[str(path.relative_to(folder))] = (stat.S_IFMT(info.st_mode), info.st_size, content)
    return seen


ROWS: list[tuple[list[str], dict[str, str], str]] = [
    # command and subcommand
    ([], {}, "the following arguments are required"),
    (["launch"], {}, "invalid choice: 'launch'"),
    (["batch", "--bogus"], {}, "unrecognized arguments: --bogus"),
    (["schema", "--format", "avro"], {}, "invalid choice: 'avro'"),
    # rates
    (["stream", "--rate", "fast"], {}, "rate 'fast' is not a number"),
    (["stream", "--rate", "-5"], {}, "must be a finite number >= 0"),
    (["stream", "--rate", "nan"], {}, "must be a finite number >= 0"),
    (["stream", "--rate", "inf"], {}, "must be a finite number >= 0"),
    (["stream", "--rate", "1e9"], {}, "1,000,000 events/s"),
    (["stream", "--rate", "1000000.5"], {}, "1,000,000 events/s"),
    (["stream"], {"EVENTGEN_RATE": "2e6"}, "EVENTGEN_RATE='2e6'"),
    (["stream"], {"EVENTGEN_RATE": ""}, "EVENTGEN_RATE=''"),
    # durations, sizes
    (["stream", "--duration", "-5s"], {}, "must be greater than zero"),
    (["stream", "--duration", "0"], {}, "must be greater than zero"),
    (["stream", "--duration", "soon"], {}, "invalid duration"),
    (["stream", "--duration", "99999999999999999999d"], {}, "longer than 3650d"),
    ([*B, "--span", "-1d"], {}, "must be greater than zero"),
    ([*B, "--span", "soon"], {}, "invalid duration"),
    ([*B, "--span", "1e400"], {}, "invalid duration"),
    ([*S, "--flush-timeout", "-1s"], {}, "must be greater than zero"),
    ([*B, "--output", "o/", "--rotate-bytes", "0"], {}, "greater than zero"),
    ([*B, "--output", "o/", "--rotate-bytes", "lots"], {}, "invalid size"),
    ([*B, "--output", "o/", "--rotate-seconds", "-5m"], {}, "must be greater than zero"),
    # start: BigQuery-loadable timestamps only
    ([*B, "--start", "yesterday"], {}, "invalid start"),
    ([*B, "--start", "9999-06-01"], {}, "end of BigQuery's TIMESTAMP"),
    ([*B, "--start", "9999-12-31T23:59:59"], {}, "end of BigQuery's TIMESTAMP"),
    ([*B, "--start", "9998-12-01", "--span", "60d"], {}, "end of BigQuery's TIMESTAMP"),
    ([*B, "--start", "1969-12-31T23:59:59"], {}, "before 1970-01-01"),
    ([*B, "--start", "0001-01-01T00:00:00+01:00"], {}, "start"),
    (["stream", "--start", "9999-01-01"], {}, "end of BigQuery's TIMESTAMP"),
    (B, {"EVENTGEN_START": "10000-01-01"}, "EVENTGEN_START"),
    # batch shape and density
    (["batch"], {}, "batch needs --events N"),
    (["batch", "--events", "0"], {}, "must be >= 1"),
    (["batch", "--events", "-3"], {}, "must be >= 1"),
    (["batch", "--events", "ten"], {}, "is not an integer"),
    ([*B, "--shard-index", "3", "--shard-count", "3"], {}, "outside 0..2"),
    ([*B, "--shard-count", "0"], {}, "must be >= 1"),
    ([*B, "--shard-index", "-1"], {}, "must be >= 0"),
    (["batch", "--events", "100000000000", "--span", "1h"], {}, "above 1,000,000"),
    ([*B, "--chunk-size", "0"], {}, "must be >= 1"),
    ([*B, "--interrupted-exit-code", "256"], {}, "from 0 to 255"),
    (["batch"], {"EVENTGEN_EVENTS": "many"}, "EVENTGEN_EVENTS='many'"),
    (B, {"JOB_COMPLETION_INDEX": "x"}, "JOB_COMPLETION_INDEX"),
    # generator options
    ([*B, "--cancel-rate", "1.5"], {}, "--cancel-rate:"),
    ([*B, "--duplicate-rate", "nan"], {}, "'nan' is not a finite number"),
    ([*B, "--late-rate", "inf"], {}, "'inf' is not a finite number"),
    ([*B, "--refund-rate", "-0.1"], {}, "--refund-rate:"),
    ([*B, "--duplicate-rate", "0.6", "--late-rate", "0.6"], {}, "must be <= 1"),
    ([*B, "--max-lateness-seconds", "0"], {}, "--max-lateness-seconds:"),
    ([*B, "--seed", "-1"], {}, "--seed:"),
    ([*B, "--seed", "9223372036854775808"], {}, "--seed:"),
    ([*B, "--customer-pool-size", "0"], {}, "--customer-pool-size:"),
    ([*B, "--locale", "xx_XX"], {}, "unsupported locale"),
    ([*B, "--daily-profile", "maybe"], {}, "expected true or false"),
    (B, {"EVENTGEN_DUPLICATE_RATE": "nan"}, "EVENTGEN_DUPLICATE_RATE='nan'"),
    (B, {"EVENTGEN_GZIP": "maybe"}, "EVENTGEN_GZIP='maybe'"),
    (["stream", "--daily-profile", "true"], {}, "the daily profile is for batch"),
    # names and identity
    ([*B, "--name", ""], {}, "--name: must not be empty"),
    ([*B, "--name", "   "], {}, "--name: must not be empty"),
    (B, {"EVENTGEN_NAME": ""}, "EVENTGEN_NAME=''"),
    ([*B, "--output", "o/", "--generator-id", "../x"], {}, "'/'"),
    ([*B, "--generator-id", ""], {}, "--generator-id: must not be empty"),
    ([*S, "--output", "o/", "--name", "a/b"], {}, "'/'"),
    ([*S, "--run-id", "a.b"], {}, "run id 'a.b'"),
    ([*S, "--run-id", "x" * 65], {}, "longer than 64"),
    # sinks and outputs
    ([*B, "--output", ""], {}, "--output: must not be empty"),
    (B, {"EVENTGEN_OUTPUT": ""}, "EVENTGEN_OUTPUT=''"),
    ([*B, "--sink", "ftp"], {}, "invalid choice: 'ftp'"),
    (["stream"], {"EVENTGEN_SINK": "carrier-pigeon"}, "choose from stdout, jsonl"),
    ([*B, "--sink", "jsonl"], {}, "--sink jsonl needs --output"),
    ([*B, "--sink", "gcs"], {}, "--sink gcs needs --gcs-bucket"),
    ([*B, "--sink", "pubsub"], {}, "needs --pubsub-project"),
    ([*B, "--sink", "stdout", "--output", "x.jsonl"], {}, "only used by --sink jsonl"),
    ([*B, "--output", "f.jsonl", "--rotate-bytes", "1k"], {}, "folder"),
    ([*B, "--gzip"], {}, "--gzip applies to jsonl and gcs"),
    ([*B, "--output", "fifo"], {}, "is a FIFO: refusing to replace it"),
    ([*B, "--output", "/dev/null"], {}, "is a device: refusing to replace it"),
    ([*B, "--output", "afile/"], {}, "exists and is not a folder"),
    ([*B, "--output", "out/link.jsonl"], {}, "outside"),
    ([*B, "--output", "out/"], {}, "is a FIFO: refusing to replace it"),
    ([*B, "--output", "out2/f.jsonl"], {}, "f.jsonl.tmp is a FIFO"),
    ([*B, "--output", "linkdir/to-fifo.jsonl"], {}, "links to a FIFO"),
    ([*S, "--output", "fifo"], {}, "is a FIFO: refusing to replace it"),
    # live rate and metrics
    (["stream", "--rate-file", "dir"], {}, "is a folder"),
    (["stream", "--rate-file", ""], {}, "--rate-file: must not be empty"),
    (["stream", "--rate-file", "r", "--rate-configmap", "ns/cm"], {}, "not both"),
    (["stream", "--rate-configmap", "only-name"], {}, "NAMESPACE/NAME"),
    ([*B, "--metrics-port", "99999"], {}, "from 0 to 65535"),
    (["stream", "--metrics-port", "-1"], {}, "must be >= 0"),
    (["stream", "--metrics-port", "70000"], {}, "from 0 to 65535"),
    (B, {"EVENTGEN_METRICS_PORT": "http"}, "EVENTGEN_METRICS_PORT='http'"),
    (["stream", "--log-level", "loud"], {}, "invalid choice: 'loud'"),
]


def test_the_table_is_wide() -> None:
    assert len(ROWS) >= 60


@pytest.mark.parametrize(("args", "env", "message"), ROWS, ids=[" ".join(r[0]) for r in ROWS])
def test_bad_input_is_one_line_exit_2_and_writes_nothing(
    args: list[str], env: dict[str, str], message: str, tmp_path: Path
) -> None:
    prepare(tmp_path)
    before = snapshot(tmp_path)
    result = run_eventgen(args, env, cwd=tmp_path)
    stderr = result.stderr.decode()
    lines = stderr.splitlines()
    assert result.returncode == 2, stderr
    assert len(lines) == 1, lines
    assert lines[0].startswith("eventgen: error: ")
    assert message in lines[0]
    assert "Traceback" not in stderr
    assert result.stdout == b""
    assert snapshot(tmp_path) == before, "bad input must not write or replace anything"


def test_an_explicit_metrics_port_in_use_is_one_line_and_the_default_one_is_skipped(
    tmp_path: Path,
) -> None:
    import socket

    with socket.socket() as taken:
        taken.bind(("0.0.0.0", 0))
        taken.listen()
        port = str(taken.getsockname()[1])
        result = run_eventgen([*B, "--metrics-port", port], cwd=tmp_path)
        lines = result.stderr.decode().splitlines()
        assert result.returncode == 2, lines
        assert lines == [
            f"eventgen: error: --metrics-port {port}: Address already in use (another "
            "process serves it: give each generator its own port, or 0 to disable metrics)"
        ]
        assert list(tmp_path.iterdir()) == []


def test_two_shards_on_one_machine_both_run_when_the_port_is_left_at_its_default(
    tmp_path: Path,
) -> None:
    # A shard that outlives the other keeps port 9102; the second one warns and goes on.
    env = {key: value for key, value in os.environ.items() if not key.startswith("EVENTGEN_")}
    from tests.support.cli_process import eventgen_command

    first = subprocess.Popen(
        eventgen_command("stream", "--rate", "5", "--duration", "20s", "--output", "a/"),
        env=env,
        cwd=tmp_path,
        stderr=subprocess.PIPE,
    )
    try:
        assert first.stderr is not None
        first.stderr.readline()  # "stream ... ->": the port is bound by now
        second = subprocess.run(
            eventgen_command("batch", "--events", "100", "--output", "b/"),
            env=env,
            cwd=tmp_path,
            capture_output=True,
            timeout=120,
        )
    finally:
        first.terminate()
        first.wait(timeout=60)
    text = second.stderr.decode()
    assert second.returncode == 0, text
    assert "metrics port 9102" in text and "serving no metrics" in text
    assert "Traceback" not in text
    assert sum(1 for _ in (tmp_path / "b").iterdir()) == 1


def test_output_still_replaces_its_own_files_and_links_inside_its_folder(tmp_path: Path) -> None:
    (tmp_path / "day.jsonl").write_text("yesterday's run\n")
    (tmp_path / "real.jsonl").write_text("old\n")
    (tmp_path / "alias.jsonl").symlink_to("real.jsonl")
    for output in ("day.jsonl", "alias.jsonl"):
        result = run_eventgen([*B, "--output", output], cwd=tmp_path)
        assert result.returncode == 0, result.stderr
        assert len((tmp_path / output).read_bytes().splitlines()) == 10
