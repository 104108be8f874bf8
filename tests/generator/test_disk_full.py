"""A disk that fills up mid-part: the real ``eventgen batch`` under a file-size limit.

RLIMIT_FSIZE makes the kernel refuse writes past a size (EFBIG), as a full disk refuses
them with ENOSPC, after writing what fits: the part being written ends in half an event.
Such a part must never get its final name, where a BigQuery load would pick it up.
"""

from __future__ import annotations

import gzip
import resource
import signal
import subprocess
from pathlib import Path

import orjson
import pytest

from tests.support.cli_process import clean_env, eventgen_command, summary

FILE_SIZE_LIMIT = 200_000  # bytes: the first part stops in the middle of an event


def _limit_file_size() -> None:
    # Ignored, SIGXFSZ turns into the EFBIG error a full disk would give as ENOSPC.
    signal.signal(signal.SIGXFSZ, signal.SIG_IGN)
    resource.setrlimit(resource.RLIMIT_FSIZE, (FILE_SIZE_LIMIT, FILE_SIZE_LIMIT))


@pytest.mark.parametrize("compressed", [False, True], ids=["plain", "gzip"])
def test_a_write_that_fills_the_disk_leaves_no_torn_part_under_a_final_name(
    tmp_path: Path, compressed: bool
) -> None:
    out = tmp_path / "out"
    args = ["batch", "--sink", "jsonl", "--output", f"{out}/", "--events", "20000"]
    result = subprocess.run(
        eventgen_command(*args, *(["--gzip"] if compressed else [])),
        env=clean_env(),
        preexec_fn=_limit_file_size,
        capture_output=True,
        timeout=120,
    )

    assert result.returncode == 1, result.stderr
    stderr = result.stderr.decode()
    errors = [line for line in stderr.splitlines() if line.startswith("eventgen: error")]
    assert len(errors) == 1 and "File too large" in errors[0], stderr
    assert "Traceback" not in stderr and "Exception ignored" not in stderr, stderr
    finals = [path for path in out.iterdir() if not path.name.endswith(".tmp")]
    lines = 0
    for part in finals:
        data = part.read_bytes()
        for line in (gzip.decompress(data) if compressed else data).splitlines():
            orjson.loads(line)  # a torn last event would fail here
            lines += 1
    report = summary(stderr)
    assert int(report["delivered"]) == lines
    assert int(report["delivered"]) + int(report["failed"]) == int(report["generated"])
