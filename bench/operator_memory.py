"""Operator resident memory with many EventGenerators, on a real control plane.

Baseline: the operator process idle with 0 generators (after its watches started).
Then N streaming EventGenerators (default 200) are created; once every one has a status
for its generation and the operator has been idle for a few seconds, its resident set size
is sampled. Goal: < 150 MB with 200 generators.
"""

from __future__ import annotations

import argparse
import time

import psutil

from bench.operator_support import running_bench

MB = 1024 * 1024
GOAL_MB = 150.0
SETTLE = 5.0  # seconds of quiet before sampling


def rss_of(pid: int) -> int:
    return int(psutil.Process(pid).memory_info().rss)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="bench.operator_memory", description=__doc__)
    parser.add_argument("--quick", action="store_true", help="50 generators instead of 200")
    parser.add_argument("--generators", type=int, help="number of EventGenerators")
    args = parser.parse_args(argv)
    count = args.generators or (50 if args.quick else 200)
    with running_bench() as bench:
        process = bench.operator.process
        assert process is not None
        time.sleep(SETTLE)
        baseline = rss_of(process.pid)
        start = time.perf_counter()
        for index in range(count):
            bench.create_generator(f"mem-{index:03d}", 100 + index)
        while bench.observed_generators() < count:
            if time.perf_counter() - start > 600:
                raise TimeoutError(f"not all {count} generators observed within 600 s")
            time.sleep(1)
        converged = time.perf_counter() - start
        time.sleep(SETTLE)
        loaded = rss_of(process.pid)
    print(f"operator resident memory, {count} EventGenerators (all observed in {converged:.0f} s):")
    print(f"  baseline (idle, 0 generators): {baseline / MB:.1f} MB")
    print(
        f"  with {count}: {loaded / MB:.1f} MB ({(loaded - baseline) / count / 1024:.0f} KB each)"
    )
    print(f"  ratio loaded/baseline: {loaded / baseline:.2f}x")
    ok = loaded / MB < GOAL_MB
    print(f"  goal < {GOAL_MB:g} MB: {'met' if ok else 'MISSED'}")
    return 0 if ok else 1


if __name__ == "__main__":
    raise SystemExit(main())
