"""What users of the control-plane harness rely on: real controllers, CRDs, validation, RBAC."""

from __future__ import annotations

import json
import secrets
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import yaml
from kubernetes import client
from kubernetes.client.exceptions import ApiException

from tests.support.controlplane import ControlPlane, ToolError


def _apply(control_plane: ControlPlane, namespace: str, manifest: dict[str, object]) -> None:
    control_plane.kubectl("apply", "-n", namespace, "-f", "-", input=yaml.safe_dump(manifest))


def test_kubectl_applied_deployment_gets_a_replicaset_and_pods(
    control_plane: ControlPlane, namespace: str
) -> None:
    control_plane.require_controller_manager()
    labels = {"app": "web"}
    _apply(
        control_plane,
        namespace,
        {
            "apiVersion": "apps/v1",
            "kind": "Deployment",
            "metadata": {"name": "web"},
            "spec": {
                "replicas": 2,
                "selector": {"matchLabels": labels},
                "template": {
                    "metadata": {"labels": labels},
                    "spec": {"containers": [{"name": "web", "image": "nginx:1.27"}]},
                },
            },
        },
    )

    def owned_by(kind: str, name: str, resource: str) -> list[dict[str, Any]]:
        listed = control_plane.kubectl("get", resource, "-n", namespace, "-o", "json").stdout
        return [
            item
            for item in json.loads(listed)["items"]
            if any(
                ref["kind"] == kind and ref["name"] == name
                for ref in item["metadata"].get("ownerReferences", [])
            )
        ]

    replicasets = control_plane.wait_for(
        lambda: owned_by("Deployment", "web", "replicasets"),
        timeout=60,
        message="a ReplicaSet owned by Deployment web",
    )
    replicaset = replicasets[0]["metadata"]["name"]

    def both_pods() -> list[dict[str, Any]] | None:
        pods = owned_by("ReplicaSet", replicaset, "pods")
        return pods if len(pods) == 2 else None

    pods = control_plane.wait_for(
        both_pods, timeout=60, message=f"2 Pods owned by ReplicaSet {replicaset}"
    )
    assert [pod["spec"]["containers"][0]["image"] for pod in pods] == ["nginx:1.27"] * 2


def _configmap(name: str, owner: tuple[str, str] | None = None) -> client.V1ConfigMap:
    """A ConfigMap ``name``, owned by the ConfigMap (name, uid) ``owner`` if given."""
    references = None
    if owner is not None:
        owner_name, owner_uid = owner
        references = [
            client.V1OwnerReference(
                api_version="v1", kind="ConfigMap", name=owner_name, uid=owner_uid
            )
        ]
    return client.V1ConfigMap(
        metadata=client.V1ObjectMeta(name=name, owner_references=references),
        data={"role": name},
    )


def test_deleting_an_owner_garbage_collects_its_children_only(
    control_plane: ControlPlane, namespace: str
) -> None:
    control_plane.require_controller_manager()
    with control_plane.api_client() as api:
        core = client.CoreV1Api(api)
        owner = core.create_namespaced_config_map(namespace, _configmap("owner"))
        assert owner.metadata is not None and owner.metadata.uid is not None
        core.create_namespaced_config_map(
            namespace, _configmap("child", owner=("owner", owner.metadata.uid))
        )
        core.create_namespaced_config_map(namespace, _configmap("bystander"))

        core.delete_namespaced_config_map("owner", namespace)

        def child_is_gone() -> bool:
            try:
                core.read_namespaced_config_map("child", namespace)
            except ApiException as error:
                if error.status == 404:
                    return True
                raise
            return False

        control_plane.wait_for(
            child_is_gone, timeout=60, message="the garbage collector to delete the child"
        )
        bystander = core.read_namespaced_config_map("bystander", namespace)
    assert bystander.data == {"role": "bystander"}


@pytest.fixture
def widget_crd(control_plane: ControlPlane) -> Iterator[tuple[str, str]]:
    """A namespaced CRD with a status subresource and a validated spec, in a unique group.

    CRDs are cluster-wide; the unique group keeps tests (and sessions) from colliding.
    Yields (plural.group, group).
    """
    group = f"h{secrets.token_hex(4)}.harness.example.com"
    crd = {
        "apiVersion": "apiextensions.k8s.io/v1",
        "kind": "CustomResourceDefinition",
        "metadata": {"name": f"widgets.{group}"},
        "spec": {
            "group": group,
            "scope": "Namespaced",
            "names": {"plural": "widgets", "singular": "widget", "kind": "Widget"},
            "versions": [
                {
                    "name": "v1",
                    "served": True,
                    "storage": True,
                    "subresources": {"status": {}},
                    "schema": {
                        "openAPIV3Schema": {
                            "type": "object",
                            "properties": {
                                "spec": {
                                    "type": "object",
                                    "required": ["mode"],
                                    "properties": {
                                        "mode": {"type": "string", "enum": ["stream", "batch"]},
                                        "rate": {"type": "integer", "minimum": 0},
                                    },
                                },
                                "status": {
                                    "type": "object",
                                    "properties": {"phase": {"type": "string"}},
                                },
                            },
                        }
                    },
                }
            ],
        },
    }
    name = f"widgets.{group}"
    control_plane.kubectl("apply", "-f", "-", input=yaml.safe_dump(crd))
    control_plane.kubectl("wait", "--for=condition=Established", f"crd/{name}", "--timeout=60s")
    yield name, group
    control_plane.kubectl("delete", "crd", name, "--wait=false", check=False)


def _widget(group: str, name: str, spec: dict[str, object], **extra: object) -> str:
    body = {"apiVersion": f"{group}/v1", "kind": "Widget", "metadata": {"name": name}}
    return yaml.safe_dump({**body, "spec": spec, **extra})


def test_custom_resource_status_is_a_separate_subresource(
    control_plane: ControlPlane, namespace: str, widget_crd: tuple[str, str]
) -> None:
    resource, group = widget_crd
    control_plane.kubectl(
        "apply", "-n", namespace, "-f", "-", input=_widget(group, "w1", {"mode": "stream"})
    )
    control_plane.kubectl(
        "patch", resource, "w1", "-n", namespace, "--subresource=status", "--type=merge",
        "-p", '{"status": {"phase": "Running"}}',
    )  # fmt: skip
    # A write to the main resource cannot change status, and a status write cannot change spec.
    control_plane.kubectl(
        "patch", resource, "w1", "-n", namespace, "--type=merge",
        "-p", '{"spec": {"rate": 5}, "status": {"phase": "Forged"}}',
    )  # fmt: skip
    control_plane.kubectl(
        "patch", resource, "w1", "-n", namespace, "--subresource=status", "--type=merge",
        "-p", '{"spec": {"rate": 99}}',
    )  # fmt: skip
    widget = yaml.safe_load(
        control_plane.kubectl("get", resource, "w1", "-n", namespace, "-o", "yaml").stdout
    )
    assert widget["status"] == {"phase": "Running"}
    assert widget["spec"] == {"mode": "stream", "rate": 5}


@pytest.mark.parametrize(
    ("spec", "expected"),
    [
        ({"mode": "sideways"}, 'spec.mode: Unsupported value: "sideways"'),
        ({"mode": "stream", "rate": -1}, "spec.rate in body should be greater than or equal to 0"),
        ({"rate": 3}, "spec.mode: Required value"),
    ],
)
def test_schema_validation_rejects_a_bad_custom_resource_with_a_readable_reason(
    control_plane: ControlPlane,
    namespace: str,
    widget_crd: tuple[str, str],
    spec: dict[str, object],
    expected: str,
) -> None:
    resource, group = widget_crd
    with pytest.raises(ToolError) as rejected:
        control_plane.kubectl(
            "apply", "-n", namespace, "-f", "-", input=_widget(group, "bad", spec)
        )
    assert expected in str(rejected.value)
    listed = control_plane.kubectl("get", resource, "-n", namespace, "-o", "name").stdout
    assert listed.strip() == "", "a rejected object must not be stored"


def test_serviceaccount_kubeconfig_has_exactly_the_rbac_a_role_grants(
    control_plane: ControlPlane, namespace: str
) -> None:
    control_plane.kubectl("create", "serviceaccount", "operator", "-n", namespace)
    kubeconfig = control_plane.serviceaccount_kubeconfig(namespace, "operator")
    user = f"system:serviceaccount:{namespace}:operator"

    denied = control_plane.kubectl(
        "get", "configmaps", "-n", namespace, kubeconfig=kubeconfig, check=False
    )
    assert denied.returncode != 0
    assert f'User "{user}" cannot list resource "configmaps"' in denied.stderr

    control_plane.kubectl(
        "create", "role", "read-configmaps", "-n", namespace,
        "--verb=get,list,watch", "--resource=configmaps",
    )  # fmt: skip
    control_plane.kubectl(
        "create", "rolebinding", "operator-reads-configmaps", "-n", namespace,
        "--role=read-configmaps", f"--serviceaccount={namespace}:operator",
    )  # fmt: skip
    control_plane.wait_for(
        lambda: control_plane.kubectl(
            "get", "configmaps", "-n", namespace, kubeconfig=kubeconfig, check=False
        ).returncode == 0,
        timeout=30,
        message="the RoleBinding to take effect",
    )  # fmt: skip

    # The same credentials through the Python client, as an operator under test uses them.
    with control_plane.api_client(kubeconfig) as api:
        core = client.CoreV1Api(api)
        core.list_namespaced_config_map(namespace)
        with pytest.raises(ApiException) as secrets_denied:
            core.list_namespaced_secret(namespace)
        with pytest.raises(ApiException) as other_namespace_denied:
            core.list_namespaced_config_map("default")
        with pytest.raises(ApiException) as write_denied:
            core.create_namespaced_config_map(namespace, _configmap("written"))
    assert secrets_denied.value.status == 403
    assert other_namespace_denied.value.status == 403
    assert write_denied.value.status == 403


def test_helm_installs_upgrades_and_uninstalls_a_chart(
    control_plane: ControlPlane, namespace: str, tmp_path: Path
) -> None:
    chart = tmp_path / "probe"
    (chart / "templates").mkdir(parents=True)
    (chart / "Chart.yaml").write_text("apiVersion: v2\nname: probe\nversion: 0.1.0\n")
    (chart / "values.yaml").write_text("greeting: hello\n")
    (chart / "templates" / "configmap.yaml").write_text(
        "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: {{ .Release.Name }}-greeting\n"
        "data:\n  greeting: {{ .Values.greeting | quote }}\n"
    )

    def greeting() -> str:
        return control_plane.kubectl(
            "get", "configmap", "probe-greeting", "-n", namespace,
            "-o", "jsonpath={.data.greeting}",
        ).stdout  # fmt: skip

    control_plane.helm("install", "probe", str(chart), "-n", namespace)
    assert greeting() == "hello"
    control_plane.helm("upgrade", "probe", str(chart), "-n", namespace, "--set", "greeting=bye")
    assert greeting() == "bye"
    control_plane.helm("uninstall", "probe", "-n", namespace, "--wait")
    gone = control_plane.kubectl("get", "configmap", "probe-greeting", "-n", namespace, check=False)
    assert "NotFound" in gone.stderr
