"""The operator <-> generator contract, end to end without a kubelet.

The pod template the operator stored on the API server is run as a local process, the way
a kubelet would run it: its command, its env with fieldRefs and configMapKeyRefs resolved,
authenticated as the chart's generator ServiceAccount (with the chart's generator RBAC)
so the live-rate ConfigMap watch goes through the real API, and PUBSUB_EMULATOR_HOST at
the local Pub/Sub server, set through the EventGenerator's spec.env. Events must arrive;
a spec.rate edit must change the running process's target rate (its /metrics gauge)
without restarting it.
"""

from __future__ import annotations

import shutil
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import orjson
import pytest
import yaml
from google.cloud import pubsub_v1

from eventgen import contract
from tests.operator.running import RunningOperator, example
from tests.support.helm_chart import default_values, render_text
from tests.support.kubelet_env import resolve_env
from tests.support.processes import ManagedProcess, free_port
from tests.support.pubsub_server import PubSubServer
from tests.support.pubsub_topics import PROJECT, TopicUnderTest
from tests.support.scraping import metric, target_rate

pytest_plugins = ["tests.support.pubsub_fixtures"]

POD_NAME = "orders-stream-7d9c-local"


def generator_kubeconfig(op: RunningOperator) -> Path:
    """Apply the chart's generator RBAC in the test namespace; a kubeconfig as its account."""
    assert op.plane.tools is not None
    rbac = render_text(
        op.plane.tools.helm,
        default_values(operator={"watchNamespaces": [op.namespace]}),
        release=op.release,
        namespace=op.namespace,
        extra=["--show-only", "templates/generator/rbac.yaml"],
    )
    op.plane.kubectl("apply", "-f", "-", input=rbac)
    [account] = [
        doc["metadata"]["name"]
        for doc in yaml.safe_load_all(rbac)
        if doc and doc["kind"] == "ServiceAccount"
    ]
    return op.plane.serviceaccount_kubeconfig(op.namespace, account)


def pull_some(subscription: str) -> list[Any]:
    """One Pull (up to 100 messages, acknowledged); the stream never goes quiet to drain."""
    with pubsub_v1.SubscriberClient() as subscriber:
        response = subscriber.pull(subscription=subscription, max_messages=100, timeout=10)
        received = list(response.received_messages)
        if received:
            subscriber.acknowledge(subscription=subscription, ack_ids=[r.ack_id for r in received])
    return [r.message for r in received]


@pytest.fixture
def local_generator(
    operator: RunningOperator, pubsub_server: PubSubServer
) -> Iterator[tuple[ManagedProcess, int]]:
    """The operator's pod template for examples/streaming.yaml, running locally."""
    TopicUnderTest("ecommerce-events", "ecommerce-events-sub").create()
    manifest = example("streaming.yaml")
    manifest["spec"]["rate"] = 20
    manifest["spec"]["sink"]["pubsub"]["project"] = PROJECT
    # The emulator address travels as a user would send it: spec.env, through the API server.
    manifest["spec"]["env"] = [{"name": "PUBSUB_EMULATOR_HOST", "value": pubsub_server.address}]
    operator.apply(manifest)
    deployment = operator.wait_for(
        lambda: operator.get("deployment", "orders-stream"), "Deployment"
    )
    [container] = deployment["spec"]["template"]["spec"]["containers"]
    fields = {"metadata.name": POD_NAME, "metadata.namespace": operator.namespace}
    env = resolve_env(container, fields, lambda name: operator.get("configmap", name)["data"])
    port = free_port()
    env[contract.METRICS_PORT.name] = str(port)  # the pod's port, moved to a free local one
    program = shutil.which(container["command"][0], path=str(Path(sys.executable).parent))
    assert program is not None, f"{container['command'][0]} is not installed"
    launcher = shutil.which("env")
    assert launcher is not None
    process = ManagedProcess(
        "generator",
        [
            launcher,
            "-u",  # only the pod's env may point the generator at the emulator
            "PUBSUB_EMULATOR_HOST",
            f"KUBECONFIG={generator_kubeconfig(operator)}",
            *(f"{name}={value}" for name, value in env.items()),
            program,
            *container["command"][1:],
            *container.get("args", []),
        ],
        operator.plane.workdir / f"{operator.release}-generator.log",
    )
    try:
        yield process, port
    finally:
        process.stop(grace=15)


def test_the_operators_pod_template_streams_events_and_follows_rate_edits_live(
    operator: RunningOperator, local_generator: tuple[ManagedProcess, int]
) -> None:
    process, port = local_generator
    subscription = f"projects/{PROJECT}/subscriptions/ecommerce-events-sub"

    def wait(predicate: Any, message: str, timeout: float = 60) -> Any:
        try:
            return operator.wait_for(predicate, message, timeout)
        except TimeoutError as error:
            raise TimeoutError(f"{error}\ngenerator log:\n{process.log_tail(30)}") from None

    wait(lambda: target_rate(port) == 20.0, "the generator to start at the live rate 20/s")
    messages = wait(lambda: pull_some(subscription), "events on the topic")
    event = orjson.loads(messages[0].data)
    # Each run of the container is its own generator: <pod name>.<run id> (eventgen.runtime.runs).
    pod_name, _, run_id = event["generator_id"].rpartition(".")
    assert pod_name == POD_NAME and run_id, event["generator_id"]
    assert event["schema_version"] >= 1

    pid = process.pid
    operator.patch_spec("orders-stream", rate=45)
    wait(lambda: target_rate(port) == 45.0, "the running generator to take rate 45/s")
    assert process.running() and process.pid == pid, "the generator restarted"
    operator.patch_spec("orders-stream", rate=0)  # pause: replicas 0, live rate 0
    wait(lambda: target_rate(port) == 0.0, "the running generator to pause")
    assert process.running()


def test_the_operators_pod_template_follows_a_shape_edit_live(
    operator: RunningOperator, local_generator: tuple[ManagedProcess, int]
) -> None:
    process, port = local_generator
    operator.wait_for(lambda: target_rate(port) == 20.0, "the generator at the live rate 20/s")
    pid = process.pid
    # x3 from a start long past: the running process's target becomes 60/s within 5 s.
    tripled = {"stages": [{"factor": 3, "durationSeconds": 9e6}], "start": "2026-01-01T00:00:00Z"}
    operator.patch_spec("orders-stream", shape=tripled)
    operator.wait_for(lambda: target_rate(port) == 60.0, "the shape applied live", timeout=5)
    assert metric(port, "eventgen_shape_factor") == 3.0
    assert metric(port, "eventgen_base_rate_events_per_second") == 20.0
    operator.patch_spec("orders-stream", shape=None)
    operator.wait_for(lambda: target_rate(port) == 20.0, "flat again", timeout=5)
    assert process.running() and process.pid == pid, "the generator restarted"
