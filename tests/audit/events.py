"""Events for audit tests: made by the real generator, written out the ways sinks write them."""

from __future__ import annotations

import datetime as dt
import gzip
from pathlib import Path
from typing import Any

from eventgen.generation import EventStream
from eventgen.options import GeneratorOptions

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
