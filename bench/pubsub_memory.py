"""Memory under a stalled server: PubSubSink's flow control bounds what it holds.

Streams ~500-byte events from the real generator at full speed into the local Pub/Sub
server (a separate process), which then stops answering for 60 s (``--quick``: 10 s). The
resident memory of this process is sampled throughout; the report gives its peak against
the baseline taken just before streaming, next to the bound the sink's flow control
implies (messages x mean event bytes, capped by the byte bound), and checks that nothing
written was lost once the server answered again.
"""

from __future__ import annotations

import argparse
import json
import threading
import time

import psutil

from bench.pubsub_support import PROJECT, TOPIC, EventPool, local_topic
from eventgen.sinks.pubsub import PublishTuning, PubSubSink

MB = 1024 * 1024


class PeakSampler:
    """Samples this process's resident set size every ``interval`` seconds; keeps the peak."""

    def __init__(self, interval: float = 0.05) -> None:
        self._process = psutil.Process()
        self._interval = interval
        self._done = threading.Event()
        self.peak = self._process.memory_info().rss
        self._thread = threading.Thread(target=self._run, daemon=True)

    def _run(self) -> None:
        while not self._done.wait(self._interval):
            self.peak = max(self.peak, self._process.memory_info().rss)

    def __enter__(self) -> PeakSampler:
        self._thread.start()
        return self

    def __exit__(self, *_: object) -> None:
        self._done.set()
        self._thread.join()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="bench.pubsub_memory", description=__doc__)
    parser.add_argument("--quick", action="store_true", help="a 10 s stall instead of 60 s")
    parser.add_argument("--stall", type=float, help="seconds the server stops answering")
    args = parser.parse_args(argv)
    stall = args.stall or (10.0 if args.quick else 60.0)
    warmup = 2.0
    pool = EventPool(10_000)
    tuning = PublishTuning()
    payload_bound = min(
        tuning.max_outstanding_messages * pool.mean_bytes, tuning.max_outstanding_bytes
    )
    with local_topic() as server:
        sink = PubSubSink(PROJECT, TOPIC)
        stop = threading.Event()
        written = 0

        def stream() -> None:
            nonlocal written
            for batch in pool.batches():
                if stop.is_set():
                    return
                sink.write(batch)
                written += len(batch)

        baseline = psutil.Process().memory_info().rss
        with PeakSampler() as sampler:
            writer = threading.Thread(target=stream, daemon=True)
            writer.start()
            time.sleep(warmup)
            before_stall = written
            server.stall(stall)
            time.sleep(min(2.0, stall / 2))
            rss_early_stall = psutil.Process().memory_info().rss
            time.sleep(stall - min(2.0, stall / 2))
            rss_late_stall = psutil.Process().memory_info().rss
            during_stall = written - before_stall
            time.sleep(warmup)  # the server answers again: streaming resumes
            stop.set()
            writer.join()
            sink.flush()
        delivered, failed, _ = sink.stats.snapshot()
        sink.close()
        stats = server.stats()
    growth = sampler.peak - baseline
    print(f"pubsub_memory: full-speed stream, server stalled for {stall:g} s")
    print(
        f"  baseline RSS {baseline / MB:.1f} MB, peak {sampler.peak / MB:.1f} MB, "
        f"growth {growth / MB:.1f} MB"
    )
    print(
        f"  RSS in the stall: {rss_early_stall / MB:.1f} MB early, {rss_late_stall / MB:.1f} MB "
        "at its end (flat: the writer is blocked, nothing accumulates)"
    )
    print(
        f"  flow-control bound: {tuning.max_outstanding_messages:,} messages x "
        f"{pool.mean_bytes:.0f} bytes = {payload_bound / MB:.1f} MB of payload "
        f"(byte bound {tuning.max_outstanding_bytes / MB:.0f} MB)"
    )
    print(
        f"  events written: {written:,} ({during_stall:,} while stalled), delivered "
        f"{delivered:,}, failed {failed:,}; calls held by the stall: {stats['stalled_calls']}"
    )
    print(
        json.dumps(
            {
                "bench": "pubsub_memory",
                "stall_s": stall,
                "baseline_rss_mb": round(baseline / MB, 1),
                "peak_rss_mb": round(sampler.peak / MB, 1),
                "growth_mb": round(growth / MB, 1),
                "rss_early_stall_mb": round(rss_early_stall / MB, 1),
                "rss_late_stall_mb": round(rss_late_stall / MB, 1),
                "bound_messages": tuning.max_outstanding_messages,
                "bound_bytes": tuning.max_outstanding_bytes,
                "bound_payload_mb": round(payload_bound / MB, 1),
                "growth_per_bound_payload": round(growth / payload_bound, 2),
                "written": written,
                "written_during_stall": during_stall,
                "delivered": delivered,
                "failed": failed,
            }
        )
    )
    return 0 if delivered == written and failed == 0 else 1


if __name__ == "__main__":
    raise SystemExit(main())
