"""The operator as the chart deploys it, with only the chart's RBAC, runs a streaming generator.

No kubelet runs on the test control plane, so the operator's pod cannot start there: the
operator runs as a local process with the exact command-line arguments and environment of
the chart's Deployment, authenticated as the chart-created operator ServiceAccount. Any
permission the chart forgot shows up as a 403 and a missing child object.
"""

from __future__ import annotations

import math
import secrets
import shutil
import sys
import urllib.request
from collections.abc import Iterator
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
import yaml
from kubernetes import client

from tests.support.controlplane import ControlPlane
from tests.support.helm_chart import REPO_ROOT, Manifest, default_values, helm_with_values
from tests.support.kubelet_env import resolve_env
from tests.support.processes import ManagedProcess, free_port, wait_until_listening

EXAMPLE = REPO_ROOT / "examples" / "streaming.yaml"
CRD = REPO_ROOT / "crds" / "eventgenerators.yaml"


def _operator_command() -> str:
    command = shutil.which("eventgen-operator", path=str(Path(sys.executable).parent))
    assert command is not None, "eventgen-operator is not installed next to this Python"
    return command


def _env_argv(container: Manifest, namespace: str, kubeconfig: Path) -> list[str]:
    """``env NAME=VALUE ...``: the container's environment as the kubelet would resolve it,
    plus the ServiceAccount's kubeconfig, on top of this process's environment."""
    downward = {"metadata.namespace": namespace, "metadata.name": "operator-under-test"}

    def no_configmaps(name: str) -> dict[str, str]:
        raise AssertionError(f"the operator's env reads ConfigMap {name}: the test cannot")

    env = resolve_env({"env": container.get("env", [])}, downward, no_configmaps)
    assignments = [f"{name}={value}" for name, value in env.items()]
    env_program = shutil.which("env")
    assert env_program is not None
    return [env_program, f"KUBECONFIG={kubeconfig}", *assignments]


def _local_args(args: list[str], port: int) -> list[str]:
    """The Deployment's args with the liveness endpoint moved to a free local port."""
    moved = []
    for arg in args:
        if arg.startswith("--liveness="):
            assert arg == "--liveness=http://0.0.0.0:8080/healthz"
            arg = f"--liveness=http://127.0.0.1:{port}/healthz"
        moved.append(arg)
    return moved


def _expected_replicas(spec: dict[str, Any]) -> tuple[int, Decimal]:
    """Replicas and per-replica rate by the CRD's rule: ceil(rate / maxRatePerReplica)."""
    crd = yaml.safe_load(CRD.read_text())
    fields = crd["spec"]["versions"][0]["schema"]["openAPIV3Schema"]["properties"]["spec"]
    defaults = {name: prop.get("default") for name, prop in fields["properties"].items()}
    rate = Decimal(str(spec.get("rate", defaults["rate"])))
    per_pod_max = Decimal(str(spec.get("maxRatePerReplica", defaults["maxRatePerReplica"])))
    replicas = math.ceil(rate / per_pod_max)
    return replicas, rate / replicas


@pytest.fixture(params=["watched-namespace", "all-namespaces"])
def chart_operator(
    request: pytest.FixtureRequest,
    control_plane: ControlPlane,
    kcc_crds: list[str],
    helm_apply_flags: list[str],
    namespace: str,
) -> Iterator[tuple[str, Manifest]]:
    """Install the chart into ``namespace`` (watching just it, or every namespace: the two
    RBAC layouts), run its operator, and yield (release, operator Deployment)."""
    control_plane.require_controller_manager()  # ServiceAccount tokens, garbage collection
    release = f"platform-{secrets.token_hex(3)}"
    watched = [namespace] if request.param == "watched-namespace" else []
    values = default_values(operator={"watchNamespaces": watched})
    helm_with_values(control_plane, "install", release, namespace, values, *helm_apply_flags)
    process = None
    try:
        manifest = control_plane.helm("get", "manifest", release, "--namespace", namespace).stdout
        [deployment] = [d for d in yaml.safe_load_all(manifest) if d and d["kind"] == "Deployment"]
        pod = deployment["spec"]["template"]["spec"]
        [container] = pod["containers"]
        kubeconfig = control_plane.serviceaccount_kubeconfig(namespace, pod["serviceAccountName"])
        port = free_port()
        process = ManagedProcess(
            "eventgen-operator",
            [
                *_env_argv(container, namespace, kubeconfig),
                _operator_command(),
                *_local_args(container["args"], port),
            ],
            control_plane.workdir / f"{release}-operator.log",
        )
        wait_until_listening(process, port, timeout=60)
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/healthz", timeout=10) as answer:
            assert answer.status == 200
        yield release, deployment
        assert process.running(), f"the operator exited:\n{process.log_tail()}"
        log = process.log_path.read_text(errors="replace")
        # An RBAC denial, as opposed to, say, a namespace being terminated by another test.
        denials = [line for line in log.splitlines() if "cannot" in line and "Forbidden" in line]
        assert denials == [], process.log_tail(40)
    finally:
        if process is not None:
            process.stop(grace=10)
        control_plane.helm(
            "uninstall", "--no-hooks", release, "--namespace", namespace, check=False
        )


def test_streaming_example_gets_its_deployment_and_live_rate_configmap(
    control_plane: ControlPlane, chart_operator: tuple[str, Manifest], namespace: str
) -> None:
    release, operator_deployment = chart_operator
    example = yaml.safe_load(EXAMPLE.read_text())
    assert example["kind"] == "EventGenerator"
    control_plane.kubectl("apply", "--namespace", namespace, "-f", str(EXAMPLE))
    name = example["metadata"]["name"]
    replicas, per_replica = _expected_replicas(example["spec"])

    with control_plane.api_client() as api:
        apps, core = client.AppsV1Api(api), client.CoreV1Api(api)
        deployment = control_plane.wait_for(
            lambda: _owned(apps.list_namespaced_deployment(namespace).items, name),
            timeout=90,
            message=f"the operator to create the Deployment of EventGenerator {name}",
        )
        configmap = control_plane.wait_for(
            lambda: _owned(core.list_namespaced_config_map(namespace).items, name),
            timeout=30,
            message=f"the operator to create the live-rate ConfigMap of {name}",
        )
    assert deployment.spec.replicas == replicas
    assert Decimal(configmap.data["ratePerReplica"]) == per_replica.quantize(Decimal("0.001"))
    # The generator pods run as the chart's Workload Identity account, from the chart's image.
    operator_env = {
        e["name"]: e.get("value")
        for e in operator_deployment["spec"]["template"]["spec"]["containers"][0]["env"]
    }
    pod = deployment.spec.template.spec
    assert pod.service_account_name == f"{release}-generator"
    assert pod.service_account_name == operator_env["EVENTGEN_OPERATOR_GENERATOR_SERVICE_ACCOUNT"]
    if "image" not in example["spec"]:
        assert pod.containers[0].image == operator_env["EVENTGEN_OPERATOR_GENERATOR_IMAGE"]


def _owned(items: list[Any], owner_name: str) -> Any:
    """The one object among ``items`` owned by EventGenerator ``owner_name``, else None."""
    owned = [
        item
        for item in items
        if any(
            ref.kind == "EventGenerator" and ref.name == owner_name
            for ref in item.metadata.owner_references or []
        )
    ]
    return owned[0] if len(owned) == 1 else None
