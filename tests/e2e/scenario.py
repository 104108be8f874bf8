"""The end-to-end scenario: one set of checks, run on two kinds of cluster.

- the real one-node cluster of this project's machines and CI (tests/e2e/test_real_node.py:
  Kubernetes 1.20.2 built from Debian's source, containerd, the image built from the
  Dockerfile, the local Pub/Sub server reached from pods over the node's bridge);
- kind, on machines with Docker Hub (tests/e2e/run.sh, Google's Pub/Sub emulator in the
  cluster): ``python -m tests.e2e.scenario --kubeconfig K --pubsub-host 127.0.0.1:18085``.

What differs between them is an ``Environment``; the checks are the same. Each check reads the
cluster through the Kubernetes API (and kubectl for logs) and the events through a Pub/Sub
subscription. The first failed check raises ``CheckFailed``; ``main`` prints ``FAIL: <what>``
with diagnostics and exits 1, or prints ``PASS: all end-to-end checks held``.
"""

from __future__ import annotations

import argparse
import copy
import json
import os
import re
import statistics
import subprocess
import sys
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from functools import partial
from pathlib import Path
from typing import Any

import jsonschema
from kubernetes import client, config

from eventgen.audit import Verdict, audit, report
from eventgen.shop.schema import json_schema
from tests.e2e import events as ev
from tests.e2e.cluster import Cluster, PodIdentity, example_generators, load_manifest
from tests.support.waiting import wait_for

HERE = Path(__file__).resolve().parent
ROOT = HERE.parents[1]
PROJECT, TOPIC, SUBSCRIPTION = "e2e-project", "ecommerce-events", "e2e-sub"
STREAM_NAME = "e2e-stream"
# What manifests/stream.yaml asks for: one replica per 2,000 events/s.
STREAM_RATE, MAX_RATE_PER_REPLICA = 1000.0, 2000.0
# The live rate edits, each with the replicas it must give: up (a second pod joins), to 0
# (Paused: every pod drains and stops), and back (a new pod).
RATE_EDITS: tuple[tuple[float, int], ...] = ((4000.0, 2), (0.0, 0), (2000.0, 1))
SETTLE_LIMIT = 5.0  # seconds: the measured rate reaches each edited target within this
# Resuming a suspended generator creates its Deployment's pods from nothing (schedule, start
# the container, import the libraries): not a live edit, so a looser bound.
RESUME_LIMIT = 15.0
SETTLE_TOLERANCE = 0.05  # +-5 % over a 1 s window counts as "reached"
HOLD_SECONDS = 12.0  # how long each rate is kept before the next edit
STEADY_TOLERANCE = 0.05  # the rate over a steady window, +-5 %
BATCH_EVENTS, BATCH_SHARDS = 3000, 3
FAILING_NAME, MISSING_TOPIC = "e2e-failing", "no-such-topic"
SCHEMA_SAMPLE = 300  # messages checked against the event JSON Schema
# The shaped stream: base 100/s; x1 for 30 s, a ramp to x2 over 30 s, then x2 with a one-time
# burst x2 (400/s) from 60 s to 80 s; 250/s per pod, so 2 pods, sized before the peak.
SHAPED_NAME = "e2e-shaped"
SHAPED_BASE = 100.0
SHAPED_PER_REPLICA = 250.0
SHAPED_LEAD = 30.0  # seconds from creation to the shape's start: pods are Ready by then
SHAPED_TOLERANCE = 0.03  # per window, against the curve's integral
# (from, to) seconds after the shape's start, and what each window covers.
SHAPED_WINDOWS = [
    (5.0, 28.0, "step x1"),
    (31.0, 59.0, "ramp x1->x2"),
    (62.0, 79.0, "burst x4"),
    (82.0, 99.0, "after the burst x2"),
]


class CheckFailed(Exception):
    """A behaviour the suite checks did not hold; the message says which."""


def check(condition: bool, message: str) -> None:
    """Raise CheckFailed(message) unless condition holds."""
    if not condition:
        raise CheckFailed(message)


def step(title: str) -> None:
    print(f"== {title}", flush=True)


@dataclass(frozen=True)
class Environment:
    """What the scenario needs to know about the cluster it runs on."""

    description: str
    cluster: Cluster
    namespace: str  # where the EventGenerators go (the chart's operator watches it)
    operator_namespace: str  # where the chart was installed
    pubsub_for_pods: str  # host:port of the Pub/Sub server as generator pods reach it
    indexed_jobs: bool  # whether the API server runs Indexed Jobs (Kubernetes >= 1.21)
    kubectl: Callable[[Sequence[str]], str]  # runs kubectl on this cluster, returns stdout


@dataclass
class Findings:
    """Figures the scenario measured, for its summary (and the README)."""

    settle_delays: list[tuple[str, float]] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    streamed: int = 0

    def summary(self) -> str:
        delays = [delay for _, delay in self.settle_delays]
        lines = [
            "rate edits -> target reached at the server (s): "
            + ", ".join(f"{what} {delay:.1f}" for what, delay in self.settle_delays)
        ]
        if delays:
            lines.append(
                f"median {statistics.median(delays):.1f} s, max {max(delays):.1f} s "
                f"over {len(delays)} edits"
            )
        lines += self.notes
        lines.append(f"{self.streamed} streamed events, every generator_id gap-free from 0")
        return "\n".join(f"   {line}" for line in lines)


class Scenario:
    """The checks, in order; they share the cluster, the namespace and the event collector."""

    def __init__(self, environment: Environment) -> None:
        self.env = environment
        self.cluster = environment.cluster
        self.namespace = environment.namespace
        self.collector: Any = None
        self.findings = Findings()

    def run(self) -> Findings:
        self.operator_runs_locked_down()
        self.examples_are_accepted()
        self.start_collecting()
        try:
            stream = self.streaming_publishes_schema_valid_events()
            self.rate_edits_apply_live_without_restarts(stream)
            self.deleted_pod_drains_without_loss(stream)
            self.logs_and_metrics_are_readable(stream)
            self.suspend_stops_and_resume_restarts(stream)
            self.shaped_stream_follows_its_curve()
            self.failing_generator_says_why()
            batch = self.batch_runs_as_this_cluster_allows()
            self.deletion_cleans_up([stream, batch])
            self.no_streamed_event_was_lost()
        finally:
            self.collector.stop()
        return self.findings

    # --- operator ----------------------------------------------------------------------------

    def operator_runs_locked_down(self) -> None:
        step("operator pod Ready under the chart's securityContext (uid 10001, read-only root)")
        operator_ns = self.env.operator_namespace
        deployments = self.cluster.apps.list_namespaced_deployment(operator_ns).items
        check(bool(deployments), f"no Deployment in {operator_ns}: chart not installed?")
        for deployment in deployments:
            name = deployment.metadata.name
            wait_for(partial(self.pods_ready, operator_ns, name), 180, f"pods of {name} ready")
            for pod in self.cluster.deployment_pods(operator_ns, name):
                for container in pod.spec.containers:
                    context = container.security_context
                    check(
                        context is not None
                        and context.run_as_user == 10001
                        and context.read_only_root_filesystem is True,
                        f"{pod.metadata.name}/{container.name} is not uid 10001 with a "
                        "read-only root filesystem",
                    )
                restarts = sum(s.restart_count for s in pod.status.container_statuses or [])
                check(restarts == 0, f"operator pod {pod.metadata.name} restarted {restarts}x")

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

    # --- streaming ---------------------------------------------------------------------------

    def start_collecting(self) -> None:
        from tests.e2e.collector import Collector, ensure_topic_and_subscription

        step("topic and subscription on the Pub/Sub server")
        path = wait_for(
            lambda: ensure_topic_and_subscription(PROJECT, TOPIC, SUBSCRIPTION),
            120,
            "the Pub/Sub server answering",
            interval=2,
            ignore=(Exception,),
        )
        self.collector = Collector(path)
        self.collector.start()

    def stream_manifest(self) -> dict[str, Any]:
        """manifests/stream.yaml, pointed at the Pub/Sub server the pods can reach."""
        manifest = load_manifest(HERE / "manifests" / "stream.yaml")
        for item in manifest["spec"]["env"]:
            if item["name"] == "PUBSUB_EMULATOR_HOST":
                item["value"] = self.env.pubsub_for_pods
        return manifest

    def streaming_publishes_schema_valid_events(self) -> dict[str, Any]:
        step(f"streaming EventGenerator at {STREAM_RATE:g} events/s to the topic")
        created = self.cluster.create_generator(self.namespace, self.stream_manifest())
        pods = self.ready_replicas(STREAM_NAME, 1)
        wait_for(
            lambda: len(self.collector.samples()) >= SCHEMA_SAMPLE,
            90,
            f"{SCHEMA_SAMPLE} events at the Pub/Sub server",
            interval=0.5,
        )
        schema = json_schema()
        for payload in self.collector.samples()[:SCHEMA_SAMPLE]:
            try:
                jsonschema.validate(json.loads(payload), schema)
            except jsonschema.ValidationError as error:
                raise CheckFailed(f"an event breaks the schema: {error.message}") from None
        producers = {ev.pod_of(e.generator_id) for e in self.collector.events()}
        check(producers == set(pods), f"events came from {producers}, the pod is {set(pods)}")
        print(f"   {SCHEMA_SAMPLE} events valid against the event JSON Schema")
        self.hold_and_check_rate(STREAM_RATE, "start")
        return created

    def rate_edits_apply_live_without_restarts(self, stream: dict[str, Any]) -> None:
        rates = " -> ".join(f"{rate:g}" for rate in (STREAM_RATE, *(r for r, _ in RATE_EDITS)))
        step(f"live rate edits {rates} events/s: no restarts, one ReplicaSet")
        previous = STREAM_RATE
        for rate, replicas in RATE_EDITS:
            pods = self.cluster.deployment_pods(self.namespace, STREAM_NAME)
            before = self.cluster.identities(pods)
            self.cluster.patch_generator_spec(self.namespace, STREAM_NAME, {"rate": rate})
            edited_at = time.time()
            after = self.ready_replicas(STREAM_NAME, replicas) if replicas else self.no_pods()
            self.hold_and_check_rate(rate, f"{previous:g}->{rate:g}", edited_at)
            self.check_not_restarted(before, after)
            sets = self.replica_sets(STREAM_NAME)
            check(len(sets) == 1, f"rate edits made {len(sets)} ReplicaSets: {sets}")
            previous = rate

    def deleted_pod_drains_without_loss(self, stream: dict[str, Any]) -> None:
        step("a deleted generator pod drains on SIGTERM: all it generated arrives")
        (pod_name,) = self.cluster.identities(
            self.cluster.deployment_pods(self.namespace, STREAM_NAME)
        )
        follower = self.cluster.follow_log(self.namespace, pod_name)
        time.sleep(2)  # the follower is attached before the pod is told to stop
        self.cluster.core.delete_namespaced_pod(pod_name, self.namespace)
        said = re.compile(r"summary: generated=(\d+) delivered=(\d+) failed=(\d+)")
        summary = wait_for(
            lambda: said.search(follower.text()),
            90,
            f"the summary line of {pod_name} after SIGTERM",
            interval=0.5,
        )
        generated, delivered, failed = (int(summary.group(i)) for i in (1, 2, 3))
        check(failed == 0 and delivered == generated, f"{pod_name} said {summary.group(0)}")
        self.ready_replicas(STREAM_NAME, 1)
        wait_for(lambda: self.collector.idle_seconds() < 1, 30, "events flowing again")
        # `eventgen audit` told the count the pod reported: a lost tail shows, not just gaps.
        own = [e for e in self.collector.events() if ev.pod_of(e.generator_id) == pod_name]
        verdict = audit_received(own, expected_events=generated)
        check(verdict.complete, f"{pod_name}'s events at the server:\n{report.text(verdict)}")
        self.findings.notes.append(
            f"deleted pod {pod_name}: generated={generated} delivered={delivered}; "
            f"eventgen audit: {verdict.seen} of {verdict.expected} at the server, complete"
        )

    def logs_and_metrics_are_readable(self, stream: dict[str, Any]) -> None:
        step("kubectl logs of a generator; its /metrics through the API server's pod proxy")
        (pod_name,) = self.cluster.identities(
            self.cluster.deployment_pods(self.namespace, STREAM_NAME)
        )
        log = self.env.kubectl(["logs", "-n", self.namespace, pod_name])
        check(f"stream {pod_name}." in log, f"`kubectl logs {pod_name}` lacks its start line:{log}")
        metrics = self.cluster.core.connect_get_namespaced_pod_proxy_with_path(
            f"{pod_name}:9102", self.namespace, "metrics"
        )
        generated = re.search(r"^eventgen_events_generated_total (\S+)$", metrics, re.MULTILINE)
        target = re.search(r"^eventgen_target_rate_events_per_second (\S+)$", metrics, re.MULTILINE)
        check(
            generated is not None and target is not None, f"/metrics lacks the counters:{metrics}"
        )
        assert generated is not None and target is not None
        check(float(generated.group(1)) > 0, "no events in /metrics")
        per_replica = RATE_EDITS[-1][0] / RATE_EDITS[-1][1]
        check(
            float(target.group(1)) == per_replica,
            f"/metrics target rate {target.group(1)}, not {per_replica:g}",
        )
        print(f"   {pod_name}: generated_total={generated.group(1)} target={target.group(1)}")

    def suspend_stops_and_resume_restarts(self, stream: dict[str, Any]) -> None:
        step("spec.suspend: pods stop (phase Suspended), resume brings the rate back")
        self.cluster.patch_generator_spec(self.namespace, STREAM_NAME, {"suspend": True})
        self.no_pods()
        self.wait_phase(STREAM_NAME, "Suspended")
        stopped_at = time.time()
        time.sleep(3)
        late = [e for e in self.collector.events() if e.published_at > stopped_at + 1]
        check(not late, f"{len(late)} events published while suspended")
        self.cluster.patch_generator_spec(self.namespace, STREAM_NAME, {"suspend": False})
        resumed_at = time.time()
        self.ready_replicas(STREAM_NAME, 1)
        self.wait_phase(STREAM_NAME, "Running")
        self.hold_and_check_rate(RATE_EDITS[-1][0], "resume", resumed_at, RESUME_LIMIT)

    def shaped_stream_follows_its_curve(self) -> None:
        from eventgen.shape.curve import Curve
        from eventgen.shape.document import parse_shape

        step("a shaped stream (step, ramp, one-time burst) follows its curve at the server")
        start = time.time() + SHAPED_LEAD
        document = {
            "start": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(start)),
            "stages": [
                {"factor": 1, "durationSeconds": 30},
                {"factor": 2, "durationSeconds": 30, "ramp": True},
            ],
            "bursts": [{"at": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(start + 60)),
                        "durationSeconds": 20, "factor": 2}],
        }  # fmt: skip
        curve = Curve(parse_shape(document, "scenario"), anchor=start)
        begin = float(int(start))  # the document's start, to the second
        manifest = self.stream_manifest()
        manifest["metadata"]["name"] = SHAPED_NAME
        manifest["spec"].update(rate=SHAPED_BASE, maxRatePerReplica=SHAPED_PER_REPLICA)
        manifest["spec"]["shape"] = document
        self.cluster.create_generator(self.namespace, manifest)
        # Sized ahead for the peak (base x2 x2 = 400/s at 250/s per pod): 2 pods before it.
        pods = self.ready_replicas(SHAPED_NAME, 2)
        time.sleep(max(0.0, begin + 100 + 3 - time.time()))
        times = ev.publish_times(
            e for e in self.collector.events() if e.generator_id.startswith(SHAPED_NAME)
        )
        worst = 0.0
        for first, last, what in SHAPED_WINDOWS:
            due = SHAPED_BASE * curve.integral(begin + first, begin + last)
            got = sum(1 for t in times if begin + first <= t < begin + last)
            deviation = abs(got - due) / due
            worst = max(worst, deviation)
            print(f"   {what}: {got} events, curve {due:.0f} ({deviation:.2%})")
            check(deviation <= SHAPED_TOLERANCE, f"shaped {what}: {got} events, curve {due:.0f}")
        self.findings.notes.append(
            f"shaped stream: max deviation {worst:.2%} over {len(SHAPED_WINDOWS)} windows"
        )
        after = self.cluster.identities(self.cluster.deployment_pods(self.namespace, SHAPED_NAME))
        self.check_not_restarted(pods, after)
        check(len(self.replica_sets(SHAPED_NAME)) == 1, "the shaped stream rolled its pods")
        self.cluster.delete_generator(self.namespace, SHAPED_NAME)
        wait_for(partial(self.generator_gone, SHAPED_NAME), 120, f"{SHAPED_NAME} gone")
        time.sleep(3)  # the removed pods' last flush reaching the subscriber
        received = [e for e in self.collector.events() if e.generator_id.startswith(SHAPED_NAME)]
        verdict = audit_received(received)
        check(verdict.complete, f"eventgen audit of the shaped stream:\n{report.text(verdict)}")

    def failing_generator_says_why(self) -> None:
        step("a generator that can only fail (its topic does not exist) says why in its status")
        manifest = self.stream_manifest()
        manifest["metadata"]["name"] = FAILING_NAME
        manifest["spec"].update(rate=10, maxRatePerReplica=100)
        manifest["spec"]["sink"]["pubsub"]["topic"] = MISSING_TOPIC
        self.cluster.create_generator(self.namespace, manifest)

        def degraded() -> dict[str, Any] | None:
            generator = self.cluster.get_generator(self.namespace, FAILING_NAME) or {}
            for condition in generator.get("status", {}).get("conditions", []):
                if condition.get("type") == "Degraded" and condition.get("status") == "True":
                    return dict(generator["status"], degraded=condition)
            return None

        status = wait_for(degraded, 120, f"{FAILING_NAME} Degraded", interval=1)
        condition = status["degraded"]
        check(
            condition.get("reason") == "GeneratorFailing"
            and MISSING_TOPIC in str(condition.get("message")),
            f"{FAILING_NAME} is Degraded for {condition.get('reason')}: {condition.get('message')}",
        )
        check(
            status.get("reason") == "GeneratorFailing", f"status.reason is {status.get('reason')}"
        )
        listing = self.env.kubectl(["get", "evgen", "-n", self.namespace, FAILING_NAME])
        check("GeneratorFailing" in listing, f"`kubectl get evgen` shows no reason:\n{listing}")
        pods = self.cluster.deployment_pods(self.namespace, FAILING_NAME)
        messages = [
            s.last_state.terminated.message
            for p in pods
            for s in p.status.container_statuses or []
            if s.last_state and s.last_state.terminated and s.last_state.terminated.message
        ] + [
            s.state.terminated.message
            for p in pods
            for s in p.status.container_statuses or []
            if s.state and s.state.terminated and s.state.terminated.message
        ]
        check(
            any(
                m.strip().startswith("eventgen: error:") and "\n" not in m.strip() for m in messages
            ),
            f"no pod's termination message is the generator's one error line: {messages}",
        )
        print(f"   {condition['reason']}: {condition['message']}")
        self.cluster.delete_generator(self.namespace, FAILING_NAME)

    # --- batch -------------------------------------------------------------------------------

    def batch_runs_as_this_cluster_allows(self) -> dict[str, Any]:
        created = self.cluster.create_generator(
            self.namespace, load_manifest(HERE / "manifests" / "batch.yaml")
        )
        if self.env.indexed_jobs:
            self.batch_writes_exactly_the_requested_events(created["metadata"]["name"])
        else:
            self.batch_says_indexed_jobs_are_unsupported(created["metadata"]["name"])
        return created

    def batch_says_indexed_jobs_are_unsupported(self, name: str) -> None:
        step("batch on Kubernetes < 1.21: status Degraded/IndexedJobsUnsupported")

        def degraded() -> dict[str, Any] | None:
            generator = self.cluster.get_generator(self.namespace, name) or {}
            for condition in generator.get("status", {}).get("conditions", []):
                if condition.get("type") == "Degraded" and condition.get("status") == "True":
                    return dict(condition)
            return None

        condition = wait_for(degraded, 120, f"{name} Degraded", interval=1)
        check(
            condition.get("reason") == "IndexedJobsUnsupported",
            f"{name} is Degraded for {condition.get('reason')}: {condition.get('message')}",
        )
        print(f"   {name}: {condition['reason']}: {condition['message']}")

    def batch_writes_exactly_the_requested_events(self, name: str) -> None:
        step(f"batch EventGenerator: {BATCH_SHARDS} shards write exactly {BATCH_EVENTS} events")
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
        lines: list[bytes] = []
        for pod in self.cluster.job_pods(self.namespace, name):
            if pod.status.phase != "Succeeded":
                continue  # a retried shard's failed attempt: its successor wrote the shard
            log = self.cluster.pod_log(self.namespace, pod.metadata.name)
            lines += [line.encode() for line in log.splitlines() if line.startswith("{")]
        # Exactly once, exactly the requested total: a batch has no redelivery to allow.
        verdict = audit(lines, expected_events=BATCH_EVENTS, source=f"Job {name}'s pod logs")
        check(verdict.complete, f"eventgen audit of the batch:\n{report.text(verdict)}")
        check(
            len(verdict.generators) == BATCH_SHARDS,
            f"batch events came from {len(verdict.generators)} generator_ids, "
            f"not {BATCH_SHARDS} shards",
        )

    # --- the end -----------------------------------------------------------------------------

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
            lambda: self.collector.idle_seconds() > 5, 120, "the subscription drained", interval=1
        )
        received = [e for e in self.collector.events() if e.generator_id.startswith(STREAM_NAME)]
        check(bool(received), "no streamed events at all")
        verdict = audit_received(received)
        check(verdict.complete, f"eventgen audit of the stream:\n{report.text(verdict)}")
        check(
            self.collector.unparsable == 0, f"{self.collector.unparsable} messages were not events"
        )
        self.findings.streamed = verdict.seen
        self.findings.notes.append(
            f"eventgen audit: {len(verdict.generators)} generator_ids, {verdict.seen} events, "
            f"{verdict.missing} missing, {verdict.doubled} redelivered"
        )
        print(self.findings.summary(), flush=True)

    # --- helpers -----------------------------------------------------------------------------

    def hold_and_check_rate(
        self,
        target: float,
        label: str,
        edited_at: float | None = None,
        limit: float = SETTLE_LIMIT,
    ) -> None:
        """Keep the rate for HOLD_SECONDS; check the delay to reach it (at most ``limit``
        seconds after ``edited_at``) and the steady rate over the hold's last 5 s."""
        began = edited_at if edited_at is not None else time.time()
        time.sleep(max(0.0, began + HOLD_SECONDS + 2 - time.time()))  # +2 s: delivery lag
        times = ev.publish_times(e for e in self.collector.events() if e.published_at >= began - 2)
        horizon = began + HOLD_SECONDS
        if edited_at is not None:
            delay = ev.settle_delay(times, edited_at, target, horizon, tolerance=SETTLE_TOLERANCE)
            check(delay is not None, f"{label}: the rate never reached {target:g}/s")
            assert delay is not None
            print(f"   {label}: {target:g}/s reached at the server after {delay:.1f} s")
            if limit == SETTLE_LIMIT:
                self.findings.settle_delays.append((label, delay))
            else:
                self.findings.notes.append(f"{label}: {target:g}/s after {delay:.1f} s")
            check(delay <= limit, f"{label}: {target:g}/s took {delay:.1f} s (> {limit:g} s)")
        steady = ev.rate_between([ev.Received("", 0, "", t) for t in times], horizon - 5, horizon)
        check(
            ev.within(steady, target, STEADY_TOLERANCE) if target else steady == 0,
            f"{label}: {steady:.1f}/s over the last 5 s, not {target:g}/s",
        )

    def check_not_restarted(
        self, before: dict[str, PodIdentity], after: dict[str, PodIdentity]
    ) -> None:
        for pod_name, identity in after.items():
            check(identity.restarts == 0, f"pod {pod_name} restarted {identity.restarts}x")
            old = before.get(pod_name)
            check(old is None or old.uid == identity.uid, f"pod {pod_name} was recreated")

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
            120,
            f"Deployment {name} with {replicas} ready pods",
            interval=0.25,
            ignore=(client.exceptions.ApiException,),
        )

    def no_pods(self) -> dict[str, PodIdentity]:
        """Wait until the stream's Deployment wants 0 replicas and no pod of it is left."""

        def gone() -> bool:
            deployment = self.cluster.apps.read_namespaced_deployment(STREAM_NAME, self.namespace)
            pods = self.cluster.core.list_namespaced_pod(
                self.namespace, label_selector=self.selector(STREAM_NAME)
            ).items
            return deployment.spec.replicas == 0 and not pods

        wait_for(gone, 120, f"{STREAM_NAME} scaled to 0, its pods gone", interval=0.5)
        return {}

    def wait_phase(self, name: str, phase: str) -> None:
        wait_for(
            lambda: (
                (self.cluster.get_generator(self.namespace, name) or {})
                .get("status", {})
                .get("phase")
                == phase
            ),
            60,
            f"{name} phase {phase}",
            interval=0.5,
        )

    def selector(self, name: str) -> str:
        deployment = self.cluster.apps.read_namespaced_deployment(name, self.namespace)
        return ",".join(f"{k}={v}" for k, v in deployment.spec.selector.match_labels.items())

    def replica_sets(self, name: str) -> list[str]:
        uid = self.cluster.apps.read_namespaced_deployment(name, self.namespace).metadata.uid
        return [
            rs.metadata.name
            for rs in self.cluster.apps.list_namespaced_replica_set(self.namespace).items
            if any(ref.uid == uid for ref in rs.metadata.owner_references or [])
        ]

    def pods_ready(self, namespace: str, deployment: str) -> bool:
        return self.cluster.all_ready(self.cluster.deployment_pods(namespace, deployment))

    def generator_gone(self, name: str) -> bool:
        return self.cluster.get_generator(self.namespace, name) is None


def audit_received(events: Sequence[ev.Received], expected_events: int | None = None) -> Verdict:
    """``eventgen audit``'s verdict over what the subscriber received. Pub/Sub delivers at
    least once, so a redelivered event is allowed (and counted); a missing one never is."""
    return audit(
        (
            {"generator_id": e.generator_id, "sequence": e.sequence, "event_id": e.event_id}
            for e in events
        ),
        allow_duplicates=True,
        expected_events=expected_events,
        source="the e2e subscription",
    )


def report_failure(environment: Environment) -> str:
    """Diagnostics for a failed run: pods, events, statuses and the operator's log tail."""
    cluster = environment.cluster
    return "\n".join(
        [
            cluster.diagnostics([environment.namespace, environment.operator_namespace]),
            cluster.logs_tail(
                environment.operator_namespace, "app.kubernetes.io/component=operator"
            ),
        ]
    )


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m tests.e2e.scenario", description=__doc__.split("\n\n")[0]
    )
    parser.add_argument("--kubeconfig", required=True, help="kubeconfig of the kind cluster")
    parser.add_argument("--pubsub-host", required=True, help="host:port of the emulator from here")
    parser.add_argument(
        "--pods-pubsub-host",
        default="pubsub-emulator.pubsub-emulator.svc.cluster.local:8085",
        help="host:port of the emulator from pods",
    )
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

    def kubectl(arguments: Sequence[str]) -> str:
        return subprocess.run(
            ["kubectl", "--kubeconfig", args.kubeconfig, *arguments],
            capture_output=True,
            text=True,
            check=True,
            timeout=60,
        ).stdout

    environment = Environment(
        description="kind",
        cluster=cluster,
        namespace=args.namespace,
        operator_namespace=args.operator_namespace,
        pubsub_for_pods=args.pods_pubsub_host,
        indexed_jobs=True,
        kubectl=kubectl,
    )
    try:
        Scenario(environment).run()
    except (CheckFailed, TimeoutError, RuntimeError) as failure:
        print(f"FAIL: {failure}", file=sys.stderr)
        print(report_failure(environment), file=sys.stderr)
        return 1
    print("PASS: all end-to-end checks held")
    return 0


if __name__ == "__main__":
    sys.exit(main())
