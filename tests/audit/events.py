"""Events for audit tests: made by the real generator, written out the ways sinks write them."""

from __future__ import annotations

import datetime as dt
import gzip
import json
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import pytest

from eventgen.cli.main import main
from eventgen.shop.generation import EventStream
from eventgen.shop.options import GeneratorOptions
from tests.support.cli_process import run_eventgen

START = dt.datetime(2026, 11, 26, tzinfo=dt.UTC)


def generated(count: int, generator_id: str = "shop-shard-0", **faults: Any) -> list[bytes]:
    """``count`` payloads of one generator over a day from START (faults as options)."""
    options = GeneratorOptions(seed=7, start=START, events_per_second=count / 86_400, **faults)
    return EventStream(options, generator_id).next_batch(count).payloads


def write_parts(
    folder: Path, payloads: list[bytes], generator_id: str, per_part: int, *, gzipped: bool = False
) -> list[Path]:
    """JSONL parts of ``per_part`` events named as the jsonl sink names them."""
    folder.mkdir(parents=True, exist_ok=True)
    paths = []
    for index, first in enumerate(range(0, len(payloads), per_part)):
        data = b"".join(p + b"\n" for p in payloads[first : first + per_part])
        suffix = ".jsonl.gz" if gzipped else ".jsonl"
        path = folder / f"{generator_id}-part-{index:05d}{suffix}"
        path.write_bytes(gzip.compress(data) if gzipped else data)
        paths.append(path)
    return paths


def batch_of_two_shards(
    events: int, *destination: str, env: Mapping[str, str] | None = None
) -> None:
    """A real ``eventgen batch`` of ``events`` as 2 shards named ``shop`` on START's day, to
    ``destination`` (sink flags): shard 0 plain in parts of 2 MiB, shard 1 gzip."""
    common = ["batch", "--events", str(events), "--shard-count", "2", "--name", "shop"]
    common += ["--start", START.date().isoformat(), *destination]
    for extra in (
        ["--shard-index", "0", "--rotate-bytes", "2MiB"],
        ["--shard-index", "1", "--gzip"],
    ):
        result = run_eventgen([*common, *extra], env)
        assert result.returncode == 0, result.stderr


def audit_json(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, Any, str]:
    """Run ``eventgen audit --format json ARGS`` in-process: (exit code, verdict, stderr)."""
    code = main(["audit", "--format", "json", *args])
    out, err = capsys.readouterr()
    return code, (json.loads(out) if out else None), err
