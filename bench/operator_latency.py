"""Latency from a spec.rate edit to the updated children, on a real control plane.

Each of N edits (default 50) patches an EventGenerator's spec.rate through the API and
measures until both the Deployment's replicas and the live ConfigMap's ratePerReplica show
the new shape (polled every 5 ms). Baseline, measured in the same run on the same server:
the round trip of patching a ConfigMap directly and reading the new value back, i.e. the
cost of one write the operator cannot avoid. Goal: median < 1 s.
"""

from __future__ import annotations

import argparse
import math
import statistics
import time

from kubernetes import client
from kubernetes.client.exceptions import ApiException

from bench.operator_support import GROUP, PLURAL, VERSION, Bench, running_bench

POLL = 0.005  # seconds between reads while waiting for the children
GOAL_MEDIAN = 1.0  # seconds


# Set explicitly (not the CRD default): the edits below then change the replica count as
# well as the per-replica rate, whatever the default is.
MAX_PER_REPLICA = 5000.0


def expected(rate: float, max_per_replica: float = MAX_PER_REPLICA) -> tuple[int, str]:
    replicas = math.ceil(rate / max_per_replica)
    per = rate / replicas
    return replicas, f"{per:.3f}".rstrip("0").rstrip(".")


def children(bench: Bench, name: str) -> tuple[int, str] | None:
    """The Deployment's replicas and the live ConfigMap's rate; None until both exist.

    Right after the EventGenerator is created the operator has not written its children
    yet: a 404 then means "not yet", not a failure (the race this bench once lost).
    """
    try:
        deployment = bench.apps.read_namespaced_deployment(name, bench.namespace)
        live = bench.core.read_namespaced_config_map(f"{name}-live", bench.namespace)
    except ApiException as error:
        if error.status == 404:
            return None
        raise
    return int(deployment.spec.replicas or 0), (live.data or {}).get("ratePerReplica", "")


def baseline_value(bench: Bench) -> str | None:
    """The baseline ConfigMap's value as the API server returns it now."""
    data = bench.core.read_namespaced_config_map("baseline", bench.namespace).data or {}
    return data.get("value")


def wait_until(probe: object, deadline: float = 30.0) -> float:
    """Seconds until `probe()` is truthy."""
    start = time.perf_counter()
    while not probe():  # type: ignore[operator]
        if time.perf_counter() - start > deadline:
            raise TimeoutError("children not updated within 30 s")
        time.sleep(POLL)
    return time.perf_counter() - start


def percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, math.ceil(share * len(ordered)) - 1)]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="bench.operator_latency", description=__doc__)
    parser.add_argument("--quick", action="store_true", help="10 edits instead of 50")
    parser.add_argument("--edits", type=int, help="number of rate edits")
    args = parser.parse_args(argv)
    edits = args.edits or (10 if args.quick else 50)
    with running_bench() as bench:
        bench.create_generator("latency", 100, MAX_PER_REPLICA)
        wait_until(lambda: children(bench, "latency") == expected(100), deadline=60)
        bench.core.create_namespaced_config_map(
            bench.namespace,
            client.V1ConfigMap(metadata=client.V1ObjectMeta(name="baseline"), data={"value": "0"}),
        )
        baseline, operator = [], []
        for index in range(edits):
            value = str(index + 1)
            start = time.perf_counter()
            bench.core.patch_namespaced_config_map(
                "baseline", bench.namespace, {"data": {"value": value}}
            )
            while baseline_value(bench) != value:
                time.sleep(POLL)
            baseline.append(time.perf_counter() - start)

            rate = 1000.0 * (index % 23 + 1) + 1  # a new replica count or per-replica rate
            want = expected(rate)
            start = time.perf_counter()
            bench.custom.patch_namespaced_custom_object(
                GROUP, VERSION, bench.namespace, PLURAL, "latency", {"spec": {"rate": rate}}
            )
            wait_until(lambda w=want: children(bench, "latency") == w)
            operator.append(time.perf_counter() - start)
    median, p95 = statistics.median(operator), percentile(operator, 0.95)
    base_median = statistics.median(baseline)
    print(f"rate edit -> children updated, {edits} edits:")
    print(f"  median {median * 1000:.0f} ms, p95 {p95 * 1000:.0f} ms")
    print(f"  baseline (patch + read a ConfigMap): median {base_median * 1000:.1f} ms")
    print(f"  ratio median/baseline: {median / base_median:.1f}x")
    print(f"  goal median < {GOAL_MEDIAN:g} s: {'met' if median < GOAL_MEDIAN else 'MISSED'}")
    return 0 if median < GOAL_MEDIAN else 1


if __name__ == "__main__":
    raise SystemExit(main())
