"""The in-memory Kubernetes API answers as the API server does where reconcile logic
depends on it (status codes, server-owned metadata, the status subresource, immutability)."""

from __future__ import annotations

from typing import Any

import pytest

from eventgen_operator.errors import KubeApiError
from eventgen_operator.kubeapi import CONFIGMAPS, DEPLOYMENTS, JOBS, KubeApi
from eventgen_operator.memory_kubeapi import MemoryKubeApi


def deployment(name: str = "orders", **labels: str) -> dict[str, Any]:
    return {
        "metadata": {"name": name, "labels": labels, "uid": "mine", "resourceVersion": "99"},
        "spec": {"replicas": 1, "selector": {"matchLabels": {"app": name}}},
        "status": {"readyReplicas": 5},
    }


def refused(call: Any, *args: Any) -> KubeApiError:
    with pytest.raises(KubeApiError) as raised:
        call(*args)
    return raised.value


def test_it_is_a_kube_api() -> None:
    api: KubeApi = MemoryKubeApi()  # mypy checks the protocol
    assert api.get(CONFIGMAPS, "shop", "none") is None


def test_the_server_owns_uid_versions_and_status_on_create() -> None:
    api = MemoryKubeApi()
    created = api.create(DEPLOYMENTS, "shop", deployment())
    metadata = created["metadata"]
    assert metadata["uid"] != "mine" and metadata["resourceVersion"] != "99"
    assert metadata["generation"] == 1 and metadata["namespace"] == "shop"
    assert "status" not in created  # the status subresource's, not the creator's
    assert refused(api.create, DEPLOYMENTS, "shop", deployment()).status == 409
    assert refused(api.merge_patch, DEPLOYMENTS, "shop", "other", {}).status == 404


def test_writes_bump_the_version_no_op_writes_do_not_and_spec_edits_bump_the_generation() -> None:
    api = MemoryKubeApi()
    first = api.create(DEPLOYMENTS, "shop", deployment())["metadata"]
    same = api.merge_patch(DEPLOYMENTS, "shop", "orders", {"spec": {"replicas": 1}})["metadata"]
    assert same["resourceVersion"] == first["resourceVersion"]
    labelled = api.merge_patch(DEPLOYMENTS, "shop", "orders", {"metadata": {"labels": {"a": "b"}}})
    assert labelled["metadata"]["resourceVersion"] != first["resourceVersion"]
    assert labelled["metadata"]["generation"] == 1
    scaled = api.merge_patch(DEPLOYMENTS, "shop", "orders", {"spec": {"replicas": 3}})
    assert scaled["metadata"]["generation"] == 2


def test_status_is_written_only_through_the_status_subresource() -> None:
    api = MemoryKubeApi()
    api.create(DEPLOYMENTS, "shop", deployment())
    ignored = api.merge_patch(DEPLOYMENTS, "shop", "orders", {"status": {"readyReplicas": 1}})
    assert "status" not in ignored
    patch = {"status": {"readyReplicas": 1}, "spec": {"replicas": 9}}
    written = api.merge_patch(DEPLOYMENTS, "shop", "orders", patch, subresource="status")
    assert written["status"] == {"readyReplicas": 1} and written["spec"]["replicas"] == 1


def test_a_jobs_pod_template_and_a_selector_are_immutable() -> None:
    api = MemoryKubeApi()
    job = {"metadata": {"name": "b"}, "spec": {"parallelism": 2, "template": {"spec": {}}}}
    api.create(JOBS, "shop", job)
    assert (
        api.merge_patch(JOBS, "shop", "b", {"spec": {"parallelism": 1}})["spec"]["parallelism"] == 1
    )
    change = {"spec": {"template": {"spec": {"restartPolicy": "Never"}}}}
    error = refused(api.merge_patch, JOBS, "shop", "b", change)
    assert error.status == 422 and "spec.template" in error.message
    api.create(DEPLOYMENTS, "shop", deployment())
    moved = {"spec": {"selector": {"matchLabels": {"app": "x"}}}}
    assert refused(api.merge_patch, DEPLOYMENTS, "shop", "orders", moved).status == 422


@pytest.mark.parametrize(
    ("selector", "names"),
    [
        ("app=a", ["one"]),
        ("app==a,tier=web", ["one"]),
        ("app!=a", ["three", "two"]),
        ("tier", ["one", "two"]),
        ("!tier", ["three"]),
        ("", ["one", "three", "two"]),
    ],
)
def test_list_filters_by_label_selector_in_one_namespace(selector: str, names: list[str]) -> None:
    api = MemoryKubeApi()
    api.create(DEPLOYMENTS, "shop", deployment("one", app="a", tier="web"))
    api.create(DEPLOYMENTS, "shop", deployment("two", app="b", tier="db"))
    api.create(DEPLOYMENTS, "shop", deployment("three", app="c"))
    api.create(DEPLOYMENTS, "elsewhere", deployment("four", app="a", tier="web"))
    found = api.list(DEPLOYMENTS, "shop", selector)
    assert sorted(item["metadata"]["name"] for item in found) == names


def test_an_unsupported_selector_is_a_bad_request() -> None:
    assert refused(MemoryKubeApi().list, DEPLOYMENTS, "shop", "app in (a,b)").status == 400


def test_refusals_and_outages_are_kube_api_errors_with_the_servers_status() -> None:
    api = MemoryKubeApi()
    api.refuse(DEPLOYMENTS, 403, "exceeded quota")
    error = refused(api.create, DEPLOYMENTS, "shop", deployment())
    assert (error.status, error.reason, error.message) == (403, "Forbidden", "exceeded quota")
    api.accept(DEPLOYMENTS)
    api.create(DEPLOYMENTS, "shop", deployment())
    api.down = True
    error = refused(api.get, DEPLOYMENTS, "shop", "orders")
    assert error.status == 0 and "deployments/orders" in error.message
    api.down = False
    api.delete(DEPLOYMENTS, "shop", "orders")
    api.delete(DEPLOYMENTS, "shop", "orders")  # missing counts as deleted
    assert api.get(DEPLOYMENTS, "shop", "orders") is None
