"""The chart on a real Kubernetes API server: install, upgrade, uninstall, strict validation.

Config Connector's CRDs are installed first (no Config Connector controller runs, so its
objects are stored and validated by the server but create nothing in Google Cloud). On the
Debian 1.20 control plane, CRDs using ``x-kubernetes-validations`` are applied with
``--validate=false``: 1.20 does not know that key and drops the CEL rules.
"""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from tests.chart.matrix import VALUE_MATRIX
from tests.support.controlplane import ControlPlane
from tests.support.helm_chart import (
    CHART_DIR,
    Manifest,
    default_values,
    helm_with_values,
    render_text,
)

CNRM_SUFFIX = ".cnrm.cloud.google.com"


def _manifest(control_plane: ControlPlane, release: str, namespace: str) -> list[Manifest]:
    text = control_plane.helm("get", "manifest", release, "--namespace", namespace).stdout
    return [doc for doc in yaml.safe_load_all(text) if doc]


def _exists(control_plane: ControlPlane, obj: Manifest) -> bool:
    args = ["get", f"{obj['kind']}.{_group(obj)}", obj["metadata"]["name"], "-o", "name"]
    if "namespace" in obj["metadata"]:
        args += ["--namespace", obj["metadata"]["namespace"]]
    result = control_plane.kubectl(*args, check=False)
    if result.returncode != 0 and "NotFound" not in result.stderr:
        raise AssertionError(result.stderr)
    return result.returncode == 0


def _group(obj: Manifest) -> str:
    api_version: str = obj["apiVersion"]
    return api_version.split("/")[0] if "/" in api_version else ""


def test_install_upgrade_uninstall_every_object_accepted(
    control_plane: ControlPlane,
    kcc_crds: list[str],
    helm_apply_flags: list[str],
    namespace: str,
    release: str,
) -> None:
    helm_with_values(
        control_plane, "install", release, namespace, default_values(), *helm_apply_flags
    )
    installed = _manifest(control_plane, release, namespace)
    kinds = {obj["kind"] for obj in installed}
    assert {"Deployment", "ClusterRole", "StorageBucket", "BigQueryTable", "IAMPolicyMember"} <= (
        kinds
    )
    missing = [o["metadata"]["name"] for o in installed if not _exists(control_plane, o)]
    assert missing == []
    control_plane.kubectl("get", "crd", "eventgenerators.ecommerce.dataplatform.io")

    # Upgrade: watch only this namespace, add the dead-letter topic, rename the subscription.
    values = default_values(
        gcp={"projectId": "test-project", "projectNumber": "123456789012"},
        operator={"watchNamespaces": [namespace]},
        cloud={"pubsub": {"deadLetter": {"enabled": True}, "subscription": "events-dataflow"}},
    )
    helm_with_values(control_plane, "upgrade", release, namespace, values, *helm_apply_flags)
    upgraded = _manifest(control_plane, release, namespace)
    assert all(_exists(control_plane, o) for o in upgraded)
    role = control_plane.kubectl(
        "get", "role", f"{release}-operator", "--namespace", namespace, "-o", "yaml"
    )
    assert "deployments" in role.stdout
    gone = [o for o in installed if o not in upgraded and o["kind"] == "PubSubSubscription"]
    assert [o["metadata"]["name"] for o in gone] == ["ecommerce-events-sub"]
    assert not _exists(control_plane, gone[0])
    dead_letter = control_plane.kubectl(
        "get", "pubsubsubscription", "events-dataflow", "--namespace", namespace,
        "-o", "jsonpath={.spec.deadLetterPolicy.deadLetterTopicRef.name}",
    )  # fmt: skip
    assert dead_letter.stdout == "ecommerce-events-dead-letter"
    # Pub/Sub's service agent may forward there: the server stored both bindings as rendered.
    agent_refs = control_plane.kubectl(
        "get", "iampolicymembers", "--namespace", namespace, "-o",
        "jsonpath={range .items[?(@.spec.member=="
        '"serviceAccount:service-123456789012@gcp-sa-pubsub.iam.gserviceaccount.com")]}'
        "{.spec.role} {.spec.resourceRef.kind}/{.spec.resourceRef.name};{end}",
    )  # fmt: skip
    assert sorted(agent_refs.stdout.strip(";").split(";")) == [
        "roles/pubsub.publisher PubSubTopic/ecommerce-events-dead-letter",
        "roles/pubsub.subscriber PubSubSubscription/events-dataflow",
    ]

    # --no-hooks: the pre-delete hook is a Job, and no kubelet runs it on this control plane
    # (tests/e2e/test_real_node.py runs it on a real node).
    control_plane.helm("uninstall", "--no-hooks", release, "--namespace", namespace)
    left = [o["metadata"]["name"] for o in upgraded if _exists(control_plane, o)]
    assert left == ["eventgenerators.ecommerce.dataplatform.io"]
    # helm.sh/resource-policy: keep: EventGenerators survive an uninstall.
    control_plane.kubectl("get", "crd", "eventgenerators.ecommerce.dataplatform.io")


@pytest.mark.parametrize("case", ["defaults", "watched-namespaces", "custom-names", "sample-on"])
def test_built_in_objects_pass_strict_server_dry_run(
    control_plane: ControlPlane, kcc_crds: list[str], namespace: str, case: str
) -> None:
    # kubectl --validate=strict rejects unknown or misplaced fields using the server's own
    # OpenAPI schemas (field validation on >= 1.25 servers, the published schema before).
    values = dict(VALUE_MATRIX[case])
    if "operator" in values and values["operator"].get("watchNamespaces"):
        values["operator"] = {**values["operator"], "watchNamespaces": [namespace]}
    text = render_text(control_plane_helm(control_plane), values, namespace=namespace)
    built_in = [
        doc
        for doc in yaml.safe_load_all(text)
        if doc
        and CNRM_SUFFIX not in doc["apiVersion"]
        # Custom resources are checked against their CRDs elsewhere; the CRD itself uses
        # x-kubernetes-validations, unknown to a pre-1.25 schema, and the install test
        # already has the real server accept it.
        and doc["kind"] not in ("EventGenerator", "CustomResourceDefinition")
    ]
    assert built_in
    result = control_plane.kubectl(
        "apply", "--dry-run=server", "--validate=strict", "-f", "-",
        input=yaml.safe_dump_all(built_in), check=False,
    )  # fmt: skip
    assert result.returncode == 0, result.stderr


def test_strict_dry_run_rejects_a_misspelt_field(
    control_plane: ControlPlane, namespace: str
) -> None:
    # Guards the guard above: a typo in a Deployment must fail, not be pruned silently.
    text = render_text(control_plane_helm(control_plane), default_values(), namespace=namespace)
    [deployment] = [d for d in yaml.safe_load_all(text) if d and d["kind"] == "Deployment"]
    deployment["spec"]["template"]["spec"]["containers"][0]["readinesProbe"] = {}
    result = control_plane.kubectl(
        "apply", "--dry-run=server", "--validate=strict", "-f", "-",
        input=yaml.safe_dump(deployment), check=False,
    )  # fmt: skip
    assert result.returncode != 0
    assert "readinesProbe" in result.stderr


def control_plane_helm(control_plane: ControlPlane) -> Path:
    """The helm binary the control plane drives (skips when absent)."""
    if control_plane.tools is None:
        pytest.skip("helm/kubectl not installed; run scripts/install-tools.sh")
    return control_plane.tools.helm


def test_sample_event_generator_is_accepted_by_the_charts_crd(
    control_plane: ControlPlane, namespace: str
) -> None:
    # --validate=false only for the CRD itself (CEL rules are unknown before 1.25).
    control_plane.kubectl(
        "apply", "--validate=false", "-f", str(CHART_DIR / "files" / "eventgenerators.crd.yaml")
    )
    control_plane.kubectl(
        "wait", "--for=condition=Established", "--timeout=60s",
        "crd/eventgenerators.ecommerce.dataplatform.io",
    )  # fmt: skip
    helm = control_plane_helm(control_plane)
    text = render_text(helm, VALUE_MATRIX["sample-on"], namespace=namespace)
    [sample] = [d for d in yaml.safe_load_all(text) if d and d["kind"] == "EventGenerator"]
    result = control_plane.wait_for(
        lambda: _dry_run_accepted(control_plane, sample),
        timeout=30,
        message="the API server to serve EventGenerators and accept the sample",
    )
    assert "created (server dry run)" in result
    bad = {**sample, "spec": {**sample["spec"], "rate": -1}}
    refused = control_plane.kubectl(
        "apply", "--dry-run=server", "-f", "-", input=yaml.safe_dump(bad), check=False
    )
    assert refused.returncode != 0
    assert "spec.rate" in refused.stderr


def _dry_run_accepted(control_plane: ControlPlane, obj: Manifest) -> str | None:
    result = control_plane.kubectl(
        "apply", "--dry-run=server", "--validate=strict", "-f", "-",
        input=yaml.safe_dump(obj), check=False,
    )  # fmt: skip
    if result.returncode != 0:
        if "the server could not find the requested resource" in result.stderr or (
            "no matches for kind" in result.stderr
        ):
            return None  # discovery has not caught up with the new CRD yet
        raise AssertionError(result.stderr)
    return result.stdout
