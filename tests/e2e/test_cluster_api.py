"""The kind suite's Kubernetes API helpers (tests/e2e/cluster.py) against a real API server.

No kubelet runs here, so pods stay Pending, but everything the suite reads through the API
is real: server-side dry runs against the CRD, children found by ownerReference (including
the Pods that the controller manager makes for a Deployment), and garbage collection after
an EventGenerator is deleted.
"""

from __future__ import annotations

import copy
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from kubernetes.client.exceptions import ApiException

from tests.e2e.cluster import Cluster, load_manifest
from tests.support.controlplane import ControlPlane

HERE = Path(__file__).resolve().parent
CRD = HERE.parents[1] / "crds" / "eventgenerators.yaml"


@pytest.fixture(scope="module")
def crd_installed(control_plane: ControlPlane) -> None:
    # --validate=false: kubectl's client-side check rejects CEL rules on a server < 1.25.
    control_plane.kubectl("apply", "--validate=false", "-f", str(CRD))
    control_plane.kubectl(
        "wait", "--for=condition=Established", "--timeout=60s",
        "crd/eventgenerators.ecommerce.dataplatform.io",
    )  # fmt: skip


@pytest.fixture
def cluster(control_plane: ControlPlane, crd_installed: None) -> Iterator[Cluster]:
    with control_plane.api_client() as api:
        yield Cluster(api)


def owned_deployment(name: str, owner: dict[str, Any], replicas: int) -> dict[str, Any]:
    """A Deployment owned by `owner`, standing in for what the operator creates."""
    labels = {"app.kubernetes.io/instance": name}
    return {
        "apiVersion": "apps/v1",
        "kind": "Deployment",
        "metadata": {
            "name": name,
            "ownerReferences": [
                {
                    "apiVersion": owner["apiVersion"],
                    "kind": owner["kind"],
                    "name": owner["metadata"]["name"],
                    "uid": owner["metadata"]["uid"],
                    "controller": True,
                    "blockOwnerDeletion": True,
                }
            ],
        },
        "spec": {
            "replicas": replicas,
            "selector": {"matchLabels": labels},
            "template": {
                "metadata": {"labels": labels},
                "spec": {"containers": [{"name": "generator", "image": "eventgen:0.1.0"}]},
            },
        },
    }


def test_dry_run_validates_against_the_crd_and_stores_nothing(
    cluster: Cluster, namespace: str
) -> None:
    manifest = load_manifest(HERE / "manifests" / "stream.yaml")
    cluster.create_generator(namespace, manifest, dry_run=True)
    assert cluster.get_generator(namespace, manifest["metadata"]["name"]) is None
    broken = copy.deepcopy(manifest)
    broken["spec"]["rate"] = -1
    with pytest.raises(ApiException) as rejected:
        cluster.create_generator(namespace, broken, dry_run=True)
    assert rejected.value.status == 422
    assert "spec.rate" in str(rejected.value.body)


def test_children_are_found_by_owner_reference_and_are_collected_after_deletion(
    control_plane: ControlPlane, cluster: Cluster, namespace: str
) -> None:
    control_plane.require_controller_manager()
    owner = cluster.create_generator(namespace, load_manifest(HERE / "manifests" / "stream.yaml"))
    name = owner["metadata"]["name"]
    cluster.apps.create_namespaced_deployment(namespace, owned_deployment(name, owner, 2))
    bystander = owned_deployment("not-a-child", owner, 1)
    del bystander["metadata"]["ownerReferences"]
    cluster.apps.create_namespaced_deployment(namespace, bystander)

    def two_pods_each() -> bool:
        # The controller manager creates ReplicaSets and Pods (Pending: no kubelet here).
        return len(cluster.deployment_pods(namespace, name)) == 2 and (
            len(cluster.deployment_pods(namespace, "not-a-child")) == 1
        )

    control_plane.wait_for(two_pods_each, 60, "pods of both Deployments")
    children = cluster.owned_by(namespace, owner["metadata"]["uid"])
    kinds = sorted(kind for kind, _, _ in children)
    assert kinds == ["Deployment", "Pod", "Pod"], children
    pods = cluster.deployment_pods(namespace, name)
    assert {p.metadata.name for p in pods} == {n for k, n, _ in children if k == "Pod"}
    assert not cluster.all_ready(pods)  # Pending pods are not Ready
    identities = cluster.identities(pods)
    assert {i.uid for i in identities.values()} == {p.metadata.uid for p in pods}
    assert all(i.restarts == 0 for i in identities.values())
    report = cluster.diagnostics([namespace])
    assert all(f"pod {namespace}/{p.metadata.name} Pending" in report for p in pods)
    assert f"{namespace}/{name} status" in report

    cluster.delete_generator(namespace, name)
    control_plane.wait_for(
        lambda: cluster.get_generator(namespace, name) is None, 30, "EventGenerator deleted"
    )
    # The garbage collector may need a discovery resync after the CRD appeared: be patient.
    control_plane.wait_for(
        lambda: not [c for c in children if cluster.exists(namespace, *c)],
        120,
        "children garbage-collected",
        interval=1,
    )
    assert len(cluster.deployment_pods(namespace, "not-a-child")) == 1, "a bystander was removed"


def test_rate_patch_merges_into_the_spec(cluster: Cluster, namespace: str) -> None:
    manifest = load_manifest(HERE / "manifests" / "stream.yaml")
    created = cluster.create_generator(namespace, manifest)
    name = created["metadata"]["name"]
    cluster.patch_generator_spec(namespace, name, {"rate": 350.0})
    patched = cluster.get_generator(namespace, name)
    assert patched is not None
    assert patched["spec"]["rate"] == 350
    # A merge patch: every other field kept, and the edit is a new generation.
    assert {k: v for k, v in patched["spec"].items() if k != "rate"} == {
        k: v for k, v in created["spec"].items() if k != "rate"
    }
    assert patched["metadata"]["generation"] == created["metadata"]["generation"] + 1
