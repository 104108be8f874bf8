"""Runtime overhead of ``eventgen batch``: generation alone against generation + sink.

Measured in the same run on the same (pinned) core: the EventStream producing events and
nothing else (the baseline), then the batch loop writing them through the runtime (metrics,
pacing-free loop, JSONL sink with atomic parts), plain and gzip. Reported as ratios against
the baseline. Goal: both keep at least 60% of generation throughput (plain seen: 0.7-0.85;
the rest is joining lines, writing ~580 bytes per event and fsync per part). gzip is ISA-L
deflate at ~1,000 MB/s (sinks/rolling.py); with zlib (~200 MB/s) it was 0.40.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import tempfile
import time
from pathlib import Path

from bench.generation import pin_to_one_core
from eventgen.runtime.metrics import Metrics
from eventgen.runtime.runner import StopFlag, run_batch
from eventgen.shop.generation import EventStream
from eventgen.shop.options import GeneratorOptions
from eventgen.sinks.jsonl import JsonlSink

GOAL_RATIO = 0.6
CHUNK = 10_000


def fresh_stream(events: int) -> EventStream:
    """A warmed-up stream (pools built), as the batch command makes it."""
    options = GeneratorOptions(
        seed=3, start=dt.datetime(2026, 1, 1, tzinfo=dt.UTC), events_per_second=events / 86_400
    )
    stream = EventStream(options, "bench-shard-0")
    stream.next_batch(1)
    return stream


def generation_only(events: int) -> float:
    """Events/s of generation alone, in CHUNK-sized batches."""
    stream = fresh_stream(events)
    started = time.perf_counter()
    made = 0
    while made < events:
        made += len(stream.next_batch(min(CHUNK, events - made)))
    return events / (time.perf_counter() - started)


def through_runtime(events: int, folder: Path, compressed: bool) -> float:
    """Events/s of the batch loop writing a JSONL folder (rotating every 64 MiB)."""
    stream = fresh_stream(events)
    sink = JsonlSink(
        folder,
        folder=True,
        generator_id="bench-shard-0",
        compressed=compressed,
        rotate_bytes=64 * 1024 * 1024,
    )
    started = time.perf_counter()
    summary = run_batch(
        stream, sink, events, location=str(folder), metrics=Metrics(), stop=StopFlag(), chunk=CHUNK
    )
    seconds = time.perf_counter() - started
    assert summary.delivered == events, summary
    return events / seconds


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="bench.runtime_batch", description=__doc__)
    parser.add_argument("--quick", action="store_true", help="fewer events (a smoke run)")
    args = parser.parse_args(argv)
    events = 100_000 if args.quick else 500_000
    pinning = pin_to_one_core()
    with tempfile.TemporaryDirectory(prefix="bench-runtime-") as tmp:
        baseline = generation_only(events)
        plain = through_runtime(events, Path(tmp) / "plain", compressed=False)
        gzipped = through_runtime(events, Path(tmp) / "gzip", compressed=True)
    plain_ratio, gzip_ratio = plain / baseline, gzipped / baseline
    meets = plain_ratio >= GOAL_RATIO and gzip_ratio >= GOAL_RATIO
    print(f"runtime batch: one core ({pinning}), {events:,} events")
    print(f"  generation only:        {baseline:10,.0f} events/s (baseline)")
    print(f"  batch -> JSONL:         {plain:10,.0f} events/s  ratio {plain_ratio:.2f}")
    print(f"  batch -> JSONL gzip:    {gzipped:10,.0f} events/s  ratio {gzip_ratio:.2f}")
    verdict = "meets" if meets else "misses"
    print(f"  {verdict} the goal ratio >= {GOAL_RATIO} for plain and gzip JSONL")
    record = {"bench": "runtime_batch", "events": events, "baseline": round(baseline),
              "jsonl": round(plain), "jsonl_gzip": round(gzipped),
              "ratio_jsonl": round(plain_ratio, 3), "ratio_gzip": round(gzip_ratio, 3)}  # fmt: skip
    print(json.dumps(record))
    return 0 if meets else 1


if __name__ == "__main__":
    raise SystemExit(main())
