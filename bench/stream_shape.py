"""A shaped stream's delivered rate against its curve: a compressed day with a flash sale.

One ``eventgen stream`` process publishes to the local Pub/Sub server (in another process)
following a day of the shop's rhythm compressed into a few minutes, with an evening sale
at x3. Its /metrics are scraped every second: ``eventgen_target_events_total`` (the
integral of the curve) and ``eventgen_events_delivered_total`` (acknowledged by the
server), read in the same scrape, so each 1-minute window compares what was delivered with
what the curve called for. Baseline in the same run: the same process at a flat rate (the
shaped run's mean), measured the same way. Also reported: the replica changes the operator's
plan (eventgen_operator.shaping, 2,000 events/s per replica) makes over the same curve,
and that the one process never restarted (one generator, every event it generated
published: the server's count equals the summary's).

Not measured here: pods on a real node (this bench runs the generator as a local process).
Goal: every 1-minute window within 1 % of the curve.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from bench.pubsub_support import PROJECT, TOPIC, local_topic
from eventgen.shape.curve import Curve
from eventgen.shape.document import parse_shape
from eventgen_operator.shaping import plan_shaped
from eventgen_operator.spec import parse_spec
from tests.support.processes import free_port
from tests.support.scraping import metric

GOAL_DEVIATION = 0.01
BASE_RATE = 2000.0
PER_REPLICA = 2000.0
WINDOW = 60.0


def shape_document(time_scale: float, start: float) -> dict[str, object]:
    """A day compressed by ``time_scale`` from ``start`` (whatever its time of day: the run
    covers one whole day of shape time, the sale at 20:00 included)."""
    return {
        "daily": True,
        "timeScale": time_scale,
        "start": dt.datetime.fromtimestamp(start, dt.UTC).isoformat(),
        "bursts": [{"at": "20:00", "every": "day", "durationSeconds": 3600, "factor": 3}],
    }


def run(shape: dict[str, object] | None, rate: float, seconds: float) -> dict[str, object]:
    """Stream for ``seconds``; scrape each second; return windows and counts."""
    port = free_port()
    with tempfile.TemporaryDirectory() as folder:
        args = ["stream", "--sink", "pubsub", "--pubsub-project", PROJECT,
                "--pubsub-topic", TOPIC, "--rate", f"{rate:g}", "--metrics-port", str(port),
                "--duration", f"{seconds + 8:g}s"]  # fmt: skip
        if shape is not None:
            path = Path(folder) / "shape.json"
            path.write_text(json.dumps(shape))
            args += ["--shape", str(path)]
        env = {k: v for k, v in os.environ.items() if not k.startswith("EVENTGEN_")}
        process = subprocess.Popen(
            [sys.executable, "-m", "eventgen.cli", *args],
            env=env,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE,
        )
        samples: list[tuple[float, float, float]] = []
        deadline = time.monotonic() + seconds + 6
        while time.monotonic() < deadline:
            target = metric(port, "eventgen_target_events_total")
            delivered = metric(port, "eventgen_events_delivered_total")
            if delivered is not None:
                samples.append((time.monotonic(), target or 0.0, delivered))
            time.sleep(1.0)
        _, stderr = process.communicate(timeout=120)
    summary = [line for line in stderr.decode().splitlines() if "summary:" in line]
    fields = dict(f.split("=", 1) for f in summary[-1].split("summary: ")[1].split())
    return {"samples": samples, "generated": int(fields["generated"]),
            "delivered": int(fields["delivered"]), "code": process.returncode}  # fmt: skip


def deviations(samples: list[tuple[float, float, float]], flat_rate: float | None) -> list[float]:
    """|delivered - target| / target per whole 1-minute window, from the 5th second on."""
    first = next(i for i, s in enumerate(samples) if s[0] >= samples[0][0] + 5)
    result: list[float] = []
    index = first
    while True:
        end = next(
            (j for j in range(index, len(samples)) if samples[j][0] >= samples[index][0] + WINDOW),
            None,
        )
        if end is None:
            return result
        (t0, due0, got0), (t1, due1, got1) = samples[index], samples[end]
        due = flat_rate * (t1 - t0) if flat_rate is not None else due1 - due0
        result.append(abs((got1 - got0) - due) / due)
        index = end


def replica_changes(
    document: dict[str, object], begin: float, seconds: float, step: float = 1.0
) -> list[int]:
    """The operator's replica counts over ``seconds`` from ``begin``, one per change."""
    spec = parse_spec({"sink": {"type": "stdout"}, "rate": BASE_RATE,
                       "maxRatePerReplica": PER_REPLICA, "shape": document,
                       "events": {"locale": "en_GB"}}, "bench")  # fmt: skip
    created = dt.datetime.fromtimestamp(begin, dt.UTC)
    counts: list[int] = []
    for moment in range(int(seconds / step)):
        now = dt.datetime.fromtimestamp(begin + moment * step, dt.UTC)
        replicas = plan_shaped(spec, created, now).streaming.replicas
        if not counts or counts[-1] != replicas:
            counts.append(replicas)
    return counts


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="a shorter day (2 minutes)")
    args = parser.parse_args(argv)
    seconds = 120.0 if args.quick else 240.0
    time_scale = 86_400.0 / seconds
    with local_topic() as server:
        begin = time.time() + 3  # the process starts within 3 s; the day starts then
        document = shape_document(time_scale, begin)
        shaped = run(document, BASE_RATE, seconds)
        curve = Curve(parse_shape(document, "bench"), anchor=begin)
        mean = BASE_RATE * curve.integral(begin, begin + seconds) / seconds
        flat = run(None, mean, seconds / 2)
        published = server.stats()["published"]
    shaped_dev = deviations(shaped["samples"], None)  # type: ignore[arg-type]
    flat_dev = deviations(flat["samples"], mean)  # type: ignore[arg-type]
    replicas = replica_changes(document, begin, seconds)
    # The sizing window (5 wall minutes) spans the whole compressed day, so over the run the
    # replicas stay at the day's peak; the same shape uncompressed shows the daily rhythm.
    real_day = {**document, "timeScale": 1}
    daily_replicas = replica_changes(real_day, begin, 86_400.0, step=60.0)
    generated = int(str(shaped["generated"])) + int(str(flat["generated"]))
    complete = published == generated
    worst, baseline = max(shaped_dev), max(flat_dev)
    print(
        f"stream_shape: a day in {seconds:g} s (timeScale {time_scale:g}), "
        f"base {BASE_RATE:g}/s, sale x3 at 20:00"
    )
    print(f"  shaped: max deviation per 1-minute window {worst:.3%} over {len(shaped_dev)} windows")
    print(f"  flat at the mean ({mean:,.0f}/s): {baseline:.3%} over {len(flat_dev)} windows")
    print(
        f"  operator's replicas over the run (2,000/s each): "
        f"{' -> '.join(map(str, replicas))} ({len(replicas) - 1} changes); over the same "
        f"day uncompressed: {' -> '.join(map(str, daily_replicas))} "
        f"({len(daily_replicas) - 1} changes)"
    )
    print(
        f"  restarts 0 (one process, exit {shaped['code']}); "
        f"published {published:,} = generated: {complete}"
    )
    print(json.dumps({"bench": "stream_shape", "seconds": seconds, "time_scale": time_scale,
                      "max_window_deviation": round(worst, 5), "windows": len(shaped_dev),
                      "flat_max_window_deviation": round(baseline, 5),
                      "replica_changes": len(replicas) - 1, "replicas": replicas,
                      "real_day_replicas": daily_replicas,
                      "restarts": 0, "complete": complete,
                      "local_process_not_real_node": True}))  # fmt: skip
    return 0 if worst <= GOAL_DEVIATION and complete and shaped["code"] == 0 else 1


if __name__ == "__main__":
    raise SystemExit(main())
