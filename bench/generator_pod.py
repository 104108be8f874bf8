"""One generator pod's process: the stream rate it sustains per core, its memory, its start-up.

Each run is ``eventgen stream --sink pubsub`` as the operator's pods run it, a separate
process pinned to one CPU, paced at a target rate for 20 s (``--quick``: 8 s) into the
local Pub/Sub server (``tests.support.pubsub_process``, another process, so its CPU is not
counted) through the real client. Per target rate it reports:

- the delivered rate (from the command's summary) and whether it kept up (>= 97%);
- CPU in cores over the second half of the run (start-up excluded): ``rate per core``;
- resident memory: the peak over the whole run and the median over the second half
  ("steady"), against the baseline of the same interpreter with the same modules imported
  and nothing run (``python -c "import eventgen.cli.main, eventgen.sinks.pubsub, ..."``);
- start-up: from process start to the first message the server received (the median over
  the runs is judged), against the same import-only process's time to finish its imports.

From the fastest rate kept up it derives the sizing the operator's defaults must follow:
``maxRatePerReplica`` <= rate per core x CPU_MARGIN, and the default container requests
and limits against the measured memory (docs/operator.md#sizing). Goals: peak <= 160 MB
and steady <= 128 MB at 50,000 events/s; first event <= 1 s; defaults within the sizing.
"""

from __future__ import annotations

import argparse
import json
import math
import os
import re
import statistics
import subprocess
import sys
import threading
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from pathlib import Path

import psutil

from bench.pubsub_support import PROJECT, TOPIC, local_topic
from eventgen_operator.config import DEFAULT_GENERATOR_RESOURCES
from eventgen_operator.kube_rules import quantity_value
from eventgen_operator.spec import GeneratorSpec
from tests.support.pubsub_process import PubSubProcess

MB = 1024 * 1024
REPO = Path(__file__).resolve().parents[1]
RATES = (5_000, 20_000, 50_000, 100_000)
QUICK_RATES = (5_000, 50_000)
MEMORY_RATE = 50_000  # the rate the memory goals are stated at
KEPT_UP = 0.97  # delivered / target that counts as sustained
CPU_MARGIN = 0.5
"""Share of the measured rate per core that the default maxRatePerReplica may ask for.
The local server answers in well under a millisecond and without TLS; the real service
adds TLS (CPU per byte), tens of milliseconds per request (more requests in flight, more
memory held) and a node shared with other pods. Half a core of headroom covers them."""
MEMORY_MARGIN_MB = 64
"""Added to the measured peak for the default memory limit: the Pub/Sub sink may hold up to
16 MB of payload (~40 MB resident, bench pubsub_memory) more while the service is slow."""
GOAL_PEAK_MB, GOAL_STEADY_MB, GOAL_FIRST_EVENT_S = 160.0, 128.0, 1.0
IMPORTS = (
    "import eventgen.cli.main, eventgen.cli.stream, eventgen.shop.generation, "
    "eventgen.sinks.pubsub, eventgen.runtime.liverate"
)


@dataclass
class PodRun:
    """What one paced run measured."""

    rate: int
    delivered_per_s: float
    cores: float
    peak_mb: float
    steady_mb: float
    first_event_s: float

    @property
    def kept_up(self) -> bool:
        return self.delivered_per_s >= KEPT_UP * self.rate


def pinned(cpu: int) -> Callable[[], None]:
    """A preexec_fn pinning the child to ``cpu`` (where the OS allows)."""

    def pin() -> None:
        if hasattr(os, "sched_setaffinity"):
            os.sched_setaffinity(0, {cpu})

    return pin


def import_baseline(cpu: int) -> tuple[float, float]:
    """(resident MB, seconds to import) of the interpreter with the stream's modules imported."""
    code = f"import time, psutil; {IMPORTS}; print(psutil.Process().memory_info().rss)"
    started = time.perf_counter()
    out = subprocess.run(
        [sys.executable, "-c", code],
        cwd=REPO,
        capture_output=True,
        text=True,
        check=True,
        preexec_fn=pinned(cpu),
    )
    return int(out.stdout.strip()) / MB, time.perf_counter() - started


def run_pod(rate: int, seconds: float, server: PubSubProcess, cpu: int) -> PodRun:
    """One paced ``eventgen stream`` process at ``rate``; see the module's docstring."""
    command = [
        str(Path(sys.executable).with_name("eventgen")), "stream", "--sink", "pubsub",
        "--pubsub-project", PROJECT, "--pubsub-topic", TOPIC, "--rate", str(rate),
        "--duration", str(seconds), "--metrics-port", "0", "--log-level", "warning",
    ]  # fmt: skip
    env = {**os.environ, "PUBSUB_EMULATOR_HOST": server.address}
    started = time.perf_counter()
    child = subprocess.Popen(
        command,
        cwd=REPO,
        env=env,
        stderr=subprocess.PIPE,
        text=True,
        preexec_fn=pinned(cpu),
    )
    stderr: list[str] = []
    reader = threading.Thread(target=lambda: stderr.extend(child.stderr or []), daemon=True)
    reader.start()
    watched = watch(child, server, seconds, started)
    child.wait()
    reader.join()
    text = "".join(stderr)
    found = re.search(r"events_per_second=([0-9.]+)", text)
    if child.returncode != 0 or not found:
        raise RuntimeError(f"eventgen stream at {rate}/s failed ({child.returncode}): {text}")
    (t0, c0), (t1, c1) = watched.cpu_marks[0], watched.cpu_marks[-1]
    steady = [rss for when, rss in watched.samples if when >= seconds / 2]
    return PodRun(
        rate=rate,
        delivered_per_s=float(found.group(1)),
        cores=(c1 - c0) / (t1 - t0) if t1 > t0 else math.nan,
        peak_mb=max(rss for _, rss in watched.samples) / MB,
        steady_mb=statistics.median(steady) / MB,
        first_event_s=watched.first_event,
    )


@dataclass
class Watched:
    """What watching a child process saw: resident set over time, CPU time at two marks
    (half-way and just before the end), and when its first event reached the server."""

    samples: list[tuple[float, int]] = field(default_factory=list)
    cpu_marks: list[tuple[float, float]] = field(default_factory=list)
    first_event: float = math.nan


def watch(
    child: subprocess.Popen[str], server: PubSubProcess, seconds: float, started: float
) -> Watched:
    """Sample ``child`` until it exits (often until the first event, then every 50 ms)."""
    process = psutil.Process(child.pid)
    published_before = server.stats()["published"]
    seen = Watched()
    while child.poll() is None:
        now = time.perf_counter() - started
        try:
            seen.samples.append((now, process.memory_info().rss))
            due = (seconds / 2, seconds - 0.3)  # the two marks
            marked = len(seen.cpu_marks)
            if marked < 2 and (now >= due[marked] or now >= due[1]):
                times = process.cpu_times()
                seen.cpu_marks.append((now, times.user + times.system))
        except psutil.Error:
            break
        waiting = math.isnan(seen.first_event)
        if waiting and server.stats()["published"] > published_before:
            seen.first_event = time.perf_counter() - started
        time.sleep(0.01 if math.isnan(seen.first_event) else 0.05)
    return seen


def sizing(runs: list[PodRun]) -> dict[str, float]:
    """The operator defaults the measurements support (see CPU_MARGIN, MEMORY_MARGIN_MB)."""
    fastest = max((run for run in runs if run.kept_up), key=lambda run: run.rate)
    per_core = fastest.rate / fastest.cores
    return {
        "rate_per_core": per_core,
        "max_rate_per_replica": per_core * CPU_MARGIN,
        "memory_limit_mb": max(run.peak_mb for run in runs) + MEMORY_MARGIN_MB,
    }


def print_runs(runs: list[PodRun], cpu: int, seconds: float, base: tuple[float, float]) -> None:
    """The table of runs, after the baseline they are compared with."""
    print(
        f"generator pod: eventgen stream -> local Pub/Sub, one process on CPU {cpu}, {seconds:g} s"
    )
    print(f"  baseline (interpreter + modules imported): {base[0]:.1f} MB, {base[1]:.2f} s")
    print("  rate/s    delivered/s  cores  per core   peak MB  steady MB  first event")
    for run in runs:
        print(
            f"  {run.rate:7,}  {run.delivered_per_s:11,.0f}  {run.cores:5.2f}  "
            f"{run.rate / run.cores:9,.0f}  {run.peak_mb:7.1f}  {run.steady_mb:9.1f}  "
            f"{run.first_event_s:6.2f} s{'' if run.kept_up else '  (fell behind)'}"
        )


def memory_checks(at: PodRun | None, first: float) -> dict[str, bool]:
    """The memory and start-up goals, at MEMORY_RATE (missed when it was not run)."""
    return {
        f"peak <= {GOAL_PEAK_MB:g} MB at {MEMORY_RATE:,}/s": at is not None
        and at.peak_mb <= GOAL_PEAK_MB,
        f"steady <= {GOAL_STEADY_MB:g} MB at {MEMORY_RATE:,}/s": at is not None
        and at.steady_mb <= GOAL_STEADY_MB,
        f"first event <= {GOAL_FIRST_EVENT_S:g} s (median of the starts: {first:.2f} s)": first
        <= GOAL_FIRST_EVENT_S,
    }


def default_checks(size: dict[str, float]) -> dict[str, bool]:
    """Whether the operator's default rate per replica and resources fit the measurements."""
    default_rate = float(GeneratorSpec.model_fields["max_rate_per_replica"].default)
    requests, limits = (
        DEFAULT_GENERATOR_RESOURCES["requests"],
        DEFAULT_GENERATOR_RESOURCES["limits"],
    )
    request_cores = float(quantity_value(requests["cpu"]) or 0)
    limit_mb = float(quantity_value(limits["memory"]) or 0) / MB
    return {
        f"default maxRatePerReplica {default_rate:,.0f} <= "
        f"{size['max_rate_per_replica']:,.0f} (rate per core x {CPU_MARGIN})": default_rate
        <= size["max_rate_per_replica"],
        f"default memory limit {limits['memory']} >= {size['memory_limit_mb']:.0f} MB "
        f"(peak + {MEMORY_MARGIN_MB} MB)": limit_mb >= size["memory_limit_mb"],
        f"default CPU request {requests['cpu']} covers a pod at maxRatePerReplica": (
            request_cores >= default_rate / size["rate_per_core"]
        ),
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="bench.generator_pod", description=__doc__)
    parser.add_argument("--quick", action="store_true", help="two rates, 8 s each")
    parser.add_argument("--seconds", type=float, help="seconds per rate")
    args = parser.parse_args(argv)
    rates = QUICK_RATES if args.quick else RATES
    seconds = args.seconds or (8.0 if args.quick else 20.0)
    cpu = max(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else 0
    base_mb, base_s = import_baseline(cpu)
    with local_topic() as server:
        runs = [run_pod(rate, seconds, server, cpu) for rate in rates]
    print_runs(runs, cpu, seconds, (base_mb, base_s))
    size = sizing(runs)
    at = next((run for run in runs if run.rate == MEMORY_RATE), None)
    # Each run is a fresh process start; the median of them is the figure, so that one start
    # slowed by a neighbour on this shared machine does not decide it (all are printed).
    first = statistics.median(run.first_event_s for run in runs)
    checks = {**memory_checks(at, first), **default_checks(size)}
    if at is not None:
        print(
            f"  memory at {MEMORY_RATE:,}/s: peak {at.peak_mb / base_mb:.2f}x the baseline, "
            f"steady {at.steady_mb / base_mb:.2f}x; first event {first / base_s:.1f}x the "
            "import time (median of the starts)"
        )
    print(f"  sizing: {size['rate_per_core']:,.0f} events/s per core")
    for name, met in checks.items():
        print(f"  {'met' if met else 'MISSED'}: {name}")
    record = {"bench": "generator_pod", "seconds": seconds, "baseline_mb": round(base_mb, 1),
              "baseline_import_s": round(base_s, 3), "runs": [asdict(run) for run in runs],
              "sizing": {k: round(v) for k, v in size.items()}, "checks": checks}  # fmt: skip
    print(json.dumps(record))
    return 0 if all(checks.values()) else 1


if __name__ == "__main__":
    raise SystemExit(main())
