"""``eventgen audit`` over files: throughput on one core, and memory for 10 million events.

Throughput: the same JSONL parts (a real batch, 4 shards, plain and gzip) audited by the
audit (fast tail match, compact sequence runs) and by the obvious baseline measured in the
same run on the same pinned core: ``json.loads`` per line and a Python set of sequences per
generator_id. Goal: at least 3x the baseline on plain files.

Memory: 10 million events of 10 generators fed through the audit's block reader in 4 MiB
blocks (built from real payloads with the sequence rewritten, so no 6 GB of files are
needed); the peak resident memory it adds to the process, complete and with 10,000 gaps.
Goal: under 50 MB added either way (a Python set of 10 million sequences would take
several hundred MB: a 28-byte int object and at least one 16-byte hash slot each).
"""

from __future__ import annotations

import argparse
import gzip
import json
import tempfile
import threading
import time
from pathlib import Path

import orjson
import psutil

from bench.generation import pin_to_one_core
from eventgen.audit.files import BLOCK_BYTES, audit_paths
from eventgen.audit.tally import Tally
from eventgen.shop.generation import EventStream
from eventgen.shop.options import GeneratorOptions

GOAL_RATIO = 3.0
GOAL_MEMORY_MB = 50.0
SHARDS = 4


def write_batch(folder: Path, events: int, *, gzipped: bool) -> None:
    """A batch of ``events`` in SHARDS shards, as JSONL parts of about 64 MiB."""
    folder.mkdir(parents=True)
    per_shard = events // SHARDS
    for shard in range(SHARDS):
        options = GeneratorOptions(seed=5, events_per_second=per_shard / 86_400)
        stream = EventStream(options, f"bench-shard-{shard}")
        made, part, pending = 0, 0, []
        while made < per_shard:
            batch = stream.next_batch(min(50_000, per_shard - made))
            made += len(batch)
            pending.append(batch.jsonl())
            if sum(map(len, pending)) >= 64 * 1024 * 1024 or made == per_shard:
                data = b"".join(pending)
                name = folder / f"bench-shard-{shard}-part-{part:05d}.jsonl"
                if gzipped:
                    name.with_suffix(".jsonl.gz").write_bytes(gzip.compress(data, 3))
                else:
                    name.write_bytes(data)
                part, pending = part + 1, []


def audit_rate(folder: Path, events: int) -> float:
    tally = Tally()
    started = time.perf_counter()
    audit_paths([str(folder)], tally)
    seconds = time.perf_counter() - started
    verdict = tally.verdict(str(folder))
    assert verdict.complete and verdict.seen == events, verdict.problems
    return events / seconds


def naive_rate(folder: Path, events: int) -> float:
    """The baseline: every line parsed whole, every sequence kept in a set."""
    seen: dict[str, set[int]] = {}
    started = time.perf_counter()
    for path in sorted(folder.iterdir()):
        opener = gzip.open if path.suffix == ".gz" else open
        with opener(path, "rb") as lines:
            for line in lines:
                event = json.loads(line)
                seen.setdefault(event["generator_id"], set()).add(event["sequence"])
    seconds = time.perf_counter() - started
    assert sum(len(s) for s in seen.values()) == events
    return events / seconds


class RssPeak:
    """Highest resident memory (MB) seen while in the block, sampled every 20 ms, and the
    resident memory on entry: the process's all-time peak (ru_maxrss) would include
    whatever ran before."""

    def __init__(self) -> None:
        self.process = psutil.Process()
        self.start = self.peak = 0.0
        self._done = threading.Event()
        self._thread = threading.Thread(target=self._sample, daemon=True)

    def _rss(self) -> float:
        return float(self.process.memory_info().rss) / 2**20

    def _sample(self) -> None:
        while not self._done.wait(0.02):
            self.peak = max(self.peak, self._rss())

    def __enter__(self) -> RssPeak:
        self.start = self.peak = self._rss()
        self._thread.start()
        return self

    def __exit__(self, *_: object) -> None:
        self._done.set()
        self._thread.join()
        self.peak = max(self.peak, self._rss())


def memory_for(events: int, generators: int, gap_every: int | None) -> tuple[float, int]:
    """Peak MB the audit adds over ``events`` in 4 MiB blocks; and the runs it holds."""
    template = EventStream(GeneratorOptions(seed=5), "template").next_batch(8_000).payloads
    heads = [p[: p.rindex(b'"generator_id":')] for p in template]
    ids = [orjson.dumps(f"bench-pod-{g}.20261126T000000Z") for g in range(generators)]
    per_block = BLOCK_BYTES // (len(template[0]) + 1)
    tally = Tally()
    per_generator = events // generators
    with RssPeak() as memory:
        for g, generator_id in enumerate(ids):
            tail = b'"generator_id":' + generator_id + b',"sequence":%d,"schema_version":1}\n'
            for first in range(0, per_generator, per_block):
                sequences = range(first, min(first + per_block, per_generator))
                kept = [s for s in sequences if not gap_every or (s + g) % gap_every]
                tally.add_block(b"".join(heads[s % len(heads)] + tail % s for s in kept))
        verdict = tally.verdict("memory")
    assert verdict.records == sum(g.seen for g in verdict.generators)
    held = sum(r.held_runs() for r in tally.generators.values())
    return memory.peak - memory.start, held


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="bench.audit_files", description=__doc__)
    parser.add_argument("--quick", action="store_true", help="fewer events (a smoke run)")
    args = parser.parse_args(argv)
    events = 100_000 if args.quick else 1_000_000
    memory_events = 1_000_000 if args.quick else 10_000_000
    pinning = pin_to_one_core()
    # Memory first, in a process that has not yet held 64 MiB parts.
    complete_mb, complete_runs = memory_for(memory_events, 10, None)
    gaps_mb, gap_runs = memory_for(memory_events, 10, 1000)
    with tempfile.TemporaryDirectory(prefix="bench-audit-") as tmp:
        plain, packed = Path(tmp) / "plain", Path(tmp) / "gzip"
        write_batch(plain, events, gzipped=False)
        write_batch(packed, events, gzipped=True)
        baseline = naive_rate(plain, events)
        rate = audit_rate(plain, events)
        gzip_baseline = naive_rate(packed, events)
        gzip_rate = audit_rate(packed, events)
    ratio = rate / baseline
    meets = ratio >= GOAL_RATIO and max(complete_mb, gaps_mb) < GOAL_MEMORY_MB
    print(f"audit over files: one core ({pinning}), {events:,} events in {SHARDS} shards")
    print(f"  naive json.loads + set:  {baseline:10,.0f} events/s (baseline)")
    print(f"  eventgen audit:          {rate:10,.0f} events/s  ratio {ratio:.1f}")
    print(f"  gzip: naive {gzip_baseline:,.0f} events/s, audit {gzip_rate:,.0f} events/s "
          f"(ratio {gzip_rate / gzip_baseline:.1f})")  # fmt: skip
    print(f"  memory, {memory_events:,} events of 10 generators: +{complete_mb:.1f} MB peak "
          f"complete ({complete_runs} runs held), +{gaps_mb:.1f} MB with "
          f"{memory_events // 1000:,} gaps ({gap_runs:,} runs held)")  # fmt: skip
    print(f"  {'meets' if meets else 'misses'} the goals: ratio >= {GOAL_RATIO}, "
          f"< {GOAL_MEMORY_MB:.0f} MB added")  # fmt: skip
    record = {"bench": "audit_files", "events": events, "baseline": round(baseline),
              "audit": round(rate), "ratio": round(ratio, 2), "gzip_baseline": round(gzip_baseline),
              "gzip_audit": round(gzip_rate), "memory_events": memory_events,
              "memory_mb_complete": round(complete_mb, 1), "memory_mb_gaps": round(gaps_mb, 1),
              "runs_held_gaps": gap_runs}  # fmt: skip
    print(json.dumps(record))
    return 0 if meets else 1


if __name__ == "__main__":
    raise SystemExit(main())
