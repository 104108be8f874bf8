"""The whole system on a real one-node cluster: the project's image in real pods, under the chart.

The node (tests/support/node/) is Kubernetes 1.20.2 built from Debian's source, with
containerd, runc, a CNI bridge, a kubelet and kube-proxy. The image is built here from the
project's Dockerfile with the legacy builder, on ``python:3.11.14-slim-bookworm`` when it can
be pulled and otherwise (CI, this project's machines: no Docker Hub) on a stand-in base:
Debian bookworm minbase from debootstrap with Debian's python 3.11.2. The chart is installed
with ``helm install`` (Config Connector's real CRDs first), and the end-to-end scenario
(tests/e2e/scenario.py, the same checks the kind suite runs) drives EventGenerators whose pods
publish to the local Pub/Sub server, reached from pods at the node's own address.

What this node cannot show: Indexed Jobs and server-side CEL rules (Kubernetes >= 1.21 and
>= 1.25), Config Connector's controllers and Google Cloud itself, more than one node.

On a machine that cannot run the node (not root, not Debian, nothing installed) the tests
skip and say why; with ``CI`` set they fail instead, so CI never passes without them.
"""

from __future__ import annotations

import base64
import os
import time
import urllib.request
from collections.abc import Callable, Sequence
from pathlib import Path

import pytest
from kubernetes.client.exceptions import ApiException

from tests.e2e.cluster import Cluster, load_manifest
from tests.e2e.scenario import CheckFailed, Environment, Scenario, report_failure
from tests.support.helm_chart import install_kcc_crds, kcc_crd_files, kcc_crds_dir
from tests.support.kubeconfig import ClusterEndpoint, write_token_kubeconfig
from tests.support.node.cluster import RealNode
from tests.support.processes import free_port
from tests.support.pubsub_process import PubSubProcess

pytestmark = [pytest.mark.realnode, pytest.mark.slow]

HERE = Path(__file__).resolve().parent
ROOT = HERE.parents[1]
NAMESPACE, OPERATOR_NAMESPACE, RELEASE = "e2e", "eventgen", "platform"


def _kubectl(node: RealNode) -> Callable[[Sequence[str]], str]:
    plane = node.plane
    assert plane is not None

    def run(arguments: Sequence[str]) -> str:
        return plane.kubectl(*arguments).stdout

    return run


def test_operator_image_starts_as_uid_10001_on_a_read_only_root(node: RealNode, image: str) -> None:
    """The image's own operator, as the chart runs it but without the chart's POD_ID: uid
    10001 has no passwd entry, and the operator must still start and serve /healthz."""
    plane, dockerd = node.plane, node.dockerd
    assert plane is not None and dockerd is not None
    plane.create_namespace("image-check")
    # Readable by uid 10001 (the admin kubeconfig is root's, 0600), with the CA inline.
    assert plane.endpoint.ca_file is not None
    kubeconfig = write_token_kubeconfig(
        node.workdir / "operator-check.kubeconfig",
        ClusterEndpoint(
            plane.endpoint.server,
            ca_data=base64.b64encode(plane.endpoint.ca_file.read_bytes()).decode(),
        ),
        "admin",
        node.admin_token,
    )
    kubeconfig.chmod(0o644)
    port = free_port()
    name = f"operator-check-{os.getpid()}"
    dockerd.docker(
        "run", "-d", "--name", name, "--network", "host", "--read-only",
        "--user", "10001:10001", "--tmpfs", "/tmp",
        "-v", f"{kubeconfig}:/config/kubeconfig:ro",
        "-e", "KUBECONFIG=/config/kubeconfig",
        image, "eventgen-operator", "--namespace", "image-check",
        "--liveness", f"http://127.0.0.1:{port}/healthz",
    )  # fmt: skip
    try:
        deadline, answer = time.monotonic() + 90, ""
        while time.monotonic() < deadline and answer != "200":
            try:
                with urllib.request.urlopen(f"http://127.0.0.1:{port}/healthz", timeout=2) as r:
                    answer = str(r.status)
            except OSError as error:
                answer = str(error)
                time.sleep(0.5)
        logs = dockerd.docker("logs", name, check=False)
        output = (logs.stdout + logs.stderr).decode(errors="replace")
        assert answer == "200", f"operator never served /healthz ({answer}):\n{output[-3000:]}"
        assert "Traceback" not in output, output[-3000:]
        state = dockerd.docker("inspect", "-f", "{{.State.Running}}", name).stdout.decode()
        assert state.strip() == "true"
    finally:
        dockerd.docker("rm", "-f", name, check=False)
        plane.delete_namespace("image-check")


def test_whole_system_chart_operator_and_generators_in_real_pods(
    node: RealNode, image: str, pubsub: PubSubProcess, monkeypatch: pytest.MonkeyPatch
) -> None:
    # The scenario's subscriber (the real google-cloud-pubsub client) finds the server here.
    monkeypatch.setenv("PUBSUB_EMULATOR_HOST", pubsub.address)
    plane = node.plane
    assert plane is not None
    files = kcc_crd_files()
    if not files:
        pytest.fail(f"Config Connector CRDs not found in {kcc_crds_dir()}")
    install_kcc_crds(plane, files)
    plane.create_namespace(NAMESPACE)
    began = time.monotonic()
    plane.helm(
        "install", RELEASE, str(ROOT / "helm" / "platform"),
        "--namespace", OPERATOR_NAMESPACE, "--create-namespace",
        "--server-side=false",  # 1.20 refuses the CRD's CEL rules when applied server-side
        "-f", str(HERE / "values-node.yaml"),
        "--wait", "--timeout", "5m",
    )  # fmt: skip
    print(f"\nhelm install --wait: {time.monotonic() - began:.1f} s")
    with plane.api_client() as api:
        environment = Environment(
            description=plane.description,
            cluster=Cluster(api),
            namespace=NAMESPACE,
            operator_namespace=OPERATOR_NAMESPACE,
            pubsub_for_pods=pubsub.address,
            indexed_jobs=False,  # Kubernetes 1.20
            kubectl=_kubectl(node),
        )
        try:
            Scenario(environment).run()
        except (CheckFailed, TimeoutError) as failure:
            pytest.fail(f"{failure}\n{report_failure(environment)}")
        helm_uninstall_leaves_no_pods(node, environment)


def helm_uninstall_leaves_no_pods(node: RealNode, environment: Environment) -> None:
    """`helm uninstall` with a generator still streaming: the chart's pre-delete hook deletes
    it and waits for its pods, so nothing of the release or its generators keeps running."""
    plane = node.plane
    assert plane is not None
    cluster, core = environment.cluster, environment.cluster.core
    manifest = load_manifest(HERE / "manifests" / "stream.yaml")
    manifest["metadata"]["name"] = "e2e-left-running"
    manifest["spec"]["rate"] = 100
    manifest["spec"]["env"][0]["value"] = environment.pubsub_for_pods
    cluster.create_generator(NAMESPACE, manifest)
    plane.wait_for(
        lambda: cluster.all_ready(cluster.deployment_pods(NAMESPACE, "e2e-left-running")),
        120,
        "the left-running generator's pod Ready",
        interval=1,
        ignore=(ApiException,),
    )
    began = time.monotonic()
    plane.helm("uninstall", RELEASE, "--namespace", OPERATOR_NAMESPACE, "--wait", "--timeout", "5m")
    print(f"\nhelm uninstall with a running generator: {time.monotonic() - began:.1f} s")
    # The hook waited for them: no generator pod may be left when the command returns.
    generator_pods = [p.metadata.name for p in core.list_namespaced_pod(NAMESPACE).items]
    assert not generator_pods, f"generator pods left after helm uninstall: {generator_pods}"
    generators = cluster.custom.list_namespaced_custom_object(
        "ecommerce.dataplatform.io", "v1alpha1", NAMESPACE, "eventgenerators"
    )["items"]
    assert not generators, "EventGenerators left after helm uninstall"

    def operator_pods() -> list[str]:
        # The operator's pod goes by garbage collection after its Deployment, and stops
        # gracefully; the hook's finished pod goes with its Job.
        return [p.metadata.name for p in core.list_namespaced_pod(OPERATOR_NAMESPACE).items]

    plane.wait_for(lambda: not operator_pods(), 120, "the operator's pods gone", interval=1)
