"""The kind end-to-end scenario, run by tests/e2e/run.sh once the cluster, the image, the
Pub/Sub emulator and the chart are in place.

    python -m tests.e2e.scenario --kubeconfig K --pubsub-host 127.0.0.1:18085

Each check reads the cluster through the Kubernetes API and the events themselves through a
Pub/Sub subscription. On the first failed check it prints `FAIL: <what>` and diagnostics and
exits 1; on success it prints a summary and exits 0. It has not run in CI (no Docker there).
"""

from __future__ import annotations

import argparse
import copy
import os
import sys
import time
from functools import partial
from pathlib import Path
from typing import Any

from kubernetes import client, config

from tests.e2e import events as ev
from tests.e2e.cluster import Cluster, PodIdentity, example_generators, load_manifest
from tests.support.waiting import wait_for

HERE = Path(__file__).resolve().parent
ROOT = HERE.parents[1]
PROJECT, TOPIC, SUBSCRIPTION = "e2e-project", "ecommerce-events", "e2e-sub"
RATE_TOLERANCE = 0.2  # measured rate within +-20 % of the target
WARMUP_SECONDS = 10  # after replicas change: the live rate applies within 5 s (contract)
WINDOW_SECONDS = 30  # the measurement window
# What manifests/stream.yaml and batch.yaml ask for, and what the spec promises for them
# (tests/e2e/test_manifests.py checks these against the manifests and the CRD's rules).
STREAM_RATE, STREAM_REPLICAS = 150.0, 2
EDITED_RATE, EDITED_REPLICAS, EDITED_RATE_PER_REPLICA = 350.0, 4, 87.5
BATCH_EVENTS, BATCH_SHARDS = 3000, 3


class CheckFailed(Exception):
    """A behaviour the suite checks did not hold; the message says which."""


def check(condition: bool, message: str) -> None:
    """Raise CheckFailed(message) unless condition holds."""
    if not condition:
        raise CheckFailed(message)


def step(title: str) -> None:
    print(f"== {title}", flush=True)


class Scenario:
    """The checks, in order; they share the cluster, namespace and the event collector."""

    def __init__(self, cluster: Cluster, namespace: str, operator_namespace: str) -> None:
        self.cluster = cluster
        self.namespace = namespace
        self.operator_namespace = operator_namespace
        self.collector: Any = None

    def run(self) -> None:
        self.operator_is_ready()
        self.examples_are_accepted()
        self.start_collecting()
        stream = self.streaming_runs_at_the_target_rate()
        self.rate_edit_rescales_without_restarts(stream)
        batch = self.batch_writes_exactly_the_requested_events()
        self.deletion_cleans_up([stream, batch])
        self.no_streamed_event_was_lost()

    # --- steps -------------------------------------------------------------------------------

    def operator_is_ready(self) -> None:
        step("operator pods ready")
        deployments = self.cluster.apps.list_namespaced_deployment(self.operator_namespace).items
        check(
            bool(deployments), f"no Deployment in {self.operator_namespace}: chart not installed?"
        )
        for deployment in deployments:
            name = deployment.metadata.name
            wait_for(
                partial(self.pods_ready, self.operator_namespace, name),
                180,
                f"pods of {name} ready",
            )

    def examples_are_accepted(self) -> None:
        step("examples/ accepted by the API server (server-side dry run)")
        examples = example_generators(ROOT / "examples")
        check(bool(examples), "examples/ holds no EventGenerator")
        for path, manifest in examples:
            manifest = copy.deepcopy(manifest)
            manifest["metadata"].pop("namespace", None)
            try:
                self.cluster.create_generator(self.namespace, manifest, dry_run=True)
            except client.exceptions.ApiException as error:
                raise CheckFailed(f"{path.name} rejected: {error.status} {error.body}") from None
        print(f"   {len(examples)} EventGenerator(s) valid")

    def start_collecting(self) -> None:
        from tests.e2e.collector import Collector, ensure_topic_and_subscription

        step("topic and subscription in the emulator")
        path = wait_for(
            lambda: ensure_topic_and_subscription(PROJECT, TOPIC, SUBSCRIPTION),
            120,
            "the Pub/Sub emulator answering",
            interval=2,
            ignore=(Exception,),
        )
        self.collector = Collector(path)
        self.collector.start()

    def streaming_runs_at_the_target_rate(self) -> dict[str, Any]:
        step(f"streaming EventGenerator: {STREAM_REPLICAS} replicas, {STREAM_RATE:g} events/s")
        created = self.cluster.create_generator(
            self.namespace, load_manifest(HERE / "manifests" / "stream.yaml")
        )
        name = created["metadata"]["name"]
        pods = self.ready_replicas(name, STREAM_REPLICAS)
        self.measure(name, set(pods), target=STREAM_RATE)
        return created

    def rate_edit_rescales_without_restarts(self, stream: dict[str, Any]) -> None:
        step(
            f"spec.rate {STREAM_RATE:g} -> {EDITED_RATE:g}: {EDITED_REPLICAS} replicas at "
            f"{EDITED_RATE_PER_REPLICA:g}, the first {STREAM_REPLICAS} not restarted"
        )
        name = stream["metadata"]["name"]
        before = self.cluster.identities(self.cluster.deployment_pods(self.namespace, name))
        template_before = self.pod_template_hashes(name)
        self.cluster.patch_generator_spec(self.namespace, name, {"rate": EDITED_RATE})
        after = self.ready_replicas(name, EDITED_REPLICAS)
        live = wait_for(
            lambda: self.live_rate(name) == EDITED_RATE_PER_REPLICA or None,
            60,
            f"ConfigMap {name}-live ratePerReplica {EDITED_RATE_PER_REPLICA:g}",
            ignore=(client.exceptions.ApiException, ValueError),
        )
        check(bool(live), "live rate not updated")
        for pod_name, identity in before.items():
            now = after.get(pod_name)
            check(now is not None, f"pod {pod_name} was replaced by the rate edit")
            assert now is not None
            check(now.uid == identity.uid, f"pod {pod_name} was recreated (uid changed)")
            check(
                now.restarts == identity.restarts,
                f"pod {pod_name} restarted ({identity.restarts} -> {now.restarts} restarts)",
            )
        check(
            self.pod_template_hashes(name) == template_before,
            "the Deployment rolled out a new pod template for a rate edit",
        )
        start = self.measure(name, set(after), target=EDITED_RATE)
        received = self.collector.events()
        for pod_name in before:
            own = [e for e in received if ev.pod_of(e.generator_id) == pod_name]
            rate = ev.rate_between(own, start, start + WINDOW_SECONDS)
            check(
                ev.within(rate, EDITED_RATE_PER_REPLICA, RATE_TOLERANCE),
                f"pre-existing pod {pod_name} runs at {rate:.1f}/s, "
                f"not the live {EDITED_RATE_PER_REPLICA:g}/s",
            )

    def batch_writes_exactly_the_requested_events(self) -> dict[str, Any]:
        step(f"batch EventGenerator: {BATCH_SHARDS} shards write exactly {BATCH_EVENTS} events")
        created = self.cluster.create_generator(
            self.namespace, load_manifest(HERE / "manifests" / "batch.yaml")
        )
        name = created["metadata"]["name"]
        wait_for(
            lambda: (
                (self.cluster.batch.read_namespaced_job(name, self.namespace).status.succeeded or 0)
                >= BATCH_SHARDS
            ),
            300,
            f"Job {name} with {BATCH_SHARDS} succeeded completions",
            interval=2,
            ignore=(client.exceptions.ApiException,),
        )
        job = self.cluster.batch.read_namespaced_job(name, self.namespace)
        check(
            any(c.type == "Complete" and c.status == "True" for c in job.status.conditions or []),
            f"Job {name} has {BATCH_SHARDS} successes but is not Complete",
        )
        received: list[ev.Received] = []
        for pod in self.cluster.job_pods(self.namespace, name):
            if pod.status.phase != "Succeeded":
                continue  # a retried shard's failed attempt: its successor wrote the shard
            for line in self.cluster.pod_log(self.namespace, pod.metadata.name).splitlines():
                event = ev.parse_event(line.encode(), 0.0)
                if event is not None:
                    received.append(event)
        count = len(received)
        check(count == BATCH_EVENTS, f"batch wrote {count} events, not {BATCH_EVENTS}")
        check(len({e.event_id for e in received}) == count, "batch event_ids are not unique")
        reports = ev.sequence_reports(received)
        check(
            len(reports) == BATCH_SHARDS,
            f"batch events came from {len(reports)} generator_ids, not {BATCH_SHARDS} shards",
        )
        check(all(not r.missing for r in reports), f"batch gaps: {ev.describe_gaps(reports)}")
        return created

    def deletion_cleans_up(self, generators: list[dict[str, Any]]) -> None:
        step("deleting the EventGenerators removes every child")
        children = []
        for generator in generators:
            name, uid = generator["metadata"]["name"], generator["metadata"]["uid"]
            owned = self.cluster.owned_by(self.namespace, uid)
            check(bool(owned), f"found no children owned by {name}")
            children.extend(owned)
            self.cluster.delete_generator(self.namespace, name)
        for generator in generators:
            name = generator["metadata"]["name"]
            wait_for(
                partial(self.generator_gone, name),
                120,
                f"EventGenerator {name} gone (finalizer released)",
            )
        wait_for(
            lambda: not [c for c in children if self.cluster.exists(self.namespace, *c)],
            180,
            f"all {len(children)} children gone",
            interval=1,
        )
        print(f"   {len(children)} children removed")

    def no_streamed_event_was_lost(self) -> None:
        step("every streamed event arrived: per pod and run, sequences gap-free from 0")
        wait_for(
            lambda: self.collector.idle_seconds() > 10, 120, "the subscription drained", interval=1
        )
        received = self.collector.events()
        reports = ev.sequence_reports(
            e for e in received if e.generator_id.startswith("e2e-stream")
        )
        # One report per run: a container restarted in its pod is a new generator_id.
        pods = {ev.pod_of(r.generator_id) for r in reports}
        check(
            len(pods) == EDITED_REPLICAS,
            f"streamed events from {len(pods)} pods, expected {EDITED_REPLICAS}",
        )
        check(all(not r.missing for r in reports), f"stream gaps: {ev.describe_gaps(reports)}")
        check(
            self.collector.unparsable == 0, f"{self.collector.unparsable} messages were not events"
        )
        total = sum(r.distinct for r in reports)
        print(f"   {total} streamed events, none missing")
        self.collector.stop()

    # --- helpers -----------------------------------------------------------------------------

    def ready_replicas(self, name: str, replicas: int) -> dict[str, PodIdentity]:
        """Wait until the generator's Deployment wants `replicas` and that many pods are Ready."""

        def ready() -> dict[str, PodIdentity] | None:
            deployment = self.cluster.apps.read_namespaced_deployment(name, self.namespace)
            pods = self.cluster.deployment_pods(self.namespace, name)
            if (
                deployment.spec.replicas == replicas
                and len(pods) == replicas
                and self.cluster.all_ready(pods)
            ):
                return self.cluster.identities(pods)
            return None

        return wait_for(
            ready,
            300,
            f"Deployment {name} with {replicas} ready pods",
            interval=1,
            ignore=(client.exceptions.ApiException,),
        )

    def measure(self, name: str, pods: set[str], target: float) -> float:
        """Wait out the warm-up and a window; check the total rate and who produced it.
        Returns the window's start (seconds since the epoch)."""
        start = time.time() + WARMUP_SECONDS
        # Delivery lags publishing a little: give the last events of the window time to arrive.
        time.sleep(WARMUP_SECONDS + WINDOW_SECONDS + 5)
        received = self.collector.events()
        rate = ev.rate_between(received, start, start + WINDOW_SECONDS)
        producers = ev.pods_between(received, start, start + WINDOW_SECONDS)
        print(f"   {name}: {rate:.1f} events/s from {len(producers)} pods (target {target:g})")
        check(producers == pods, f"events came from {sorted(producers)}, pods are {sorted(pods)}")
        check(
            ev.within(rate, target, RATE_TOLERANCE), f"rate {rate:.1f}/s is not {target:g}/s +-20 %"
        )
        return start

    def pods_ready(self, namespace: str, deployment: str) -> bool:
        return self.cluster.all_ready(self.cluster.deployment_pods(namespace, deployment))

    def generator_gone(self, name: str) -> bool:
        return self.cluster.get_generator(self.namespace, name) is None

    def live_rate(self, name: str) -> float:
        configmap = self.cluster.core.read_namespaced_config_map(f"{name}-live", self.namespace)
        return float((configmap.data or {})["ratePerReplica"])

    def pod_template_hashes(self, name: str) -> set[str]:
        pods = self.cluster.deployment_pods(self.namespace, name)
        return {p.metadata.labels.get("pod-template-hash", "") for p in pods}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m tests.e2e.scenario", description=__doc__.split("\n\n")[0]
    )
    parser.add_argument("--kubeconfig", required=True, help="kubeconfig of the kind cluster")
    parser.add_argument("--pubsub-host", required=True, help="host:port of the emulator from here")
    parser.add_argument("--namespace", default="e2e", help="namespace for the EventGenerators")
    parser.add_argument("--operator-namespace", default="eventgen", help="the chart's namespace")
    args = parser.parse_args(argv)
    os.environ["PUBSUB_EMULATOR_HOST"] = args.pubsub_host
    api = config.new_client_from_config(config_file=args.kubeconfig)  # type: ignore[no-untyped-call]
    cluster = Cluster(api)
    try:
        cluster.core.create_namespace({"metadata": {"name": args.namespace}})
    except client.exceptions.ApiException as error:
        if error.status != 409:  # 409: left by an earlier run on a kept cluster
            raise
    scenario = Scenario(cluster, args.namespace, args.operator_namespace)
    try:
        scenario.run()
    except (CheckFailed, TimeoutError, RuntimeError) as failure:
        print(f"FAIL: {failure}", file=sys.stderr)
        print(cluster.diagnostics([args.namespace, args.operator_namespace]), file=sys.stderr)
        print(
            cluster.logs_tail(args.operator_namespace, "app.kubernetes.io/component=operator"),
            file=sys.stderr,
        )
        return 1
    print("PASS: all end-to-end checks held")
    return 0


if __name__ == "__main__":
    sys.exit(main())
