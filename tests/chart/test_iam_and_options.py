"""IAMPolicyMembers survive `helm upgrade` when the values their immutable spec depends on
change; the narrow generator identity, Config Connector annotations and the retention range."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import pytest

from tests.support.helm_chart import CHART_DIR, Rendered, RenderError, default_values, render

_PUBSUB = json.loads((CHART_DIR / "values.schema.json").read_text())["properties"]["cloud"][
    "properties"
]["pubsub"]["properties"]
RETENTION = re.compile(_PUBSUB["messageRetentionDuration"]["pattern"])


def _members(rendered: Rendered) -> dict[str, dict[str, Any]]:
    return {m["metadata"]["name"]: m["spec"] for m in rendered.of_kind("IAMPolicyMember")}


# Every value an IAMPolicyMember's spec depends on, changed one at a time and all at once.
CHANGES: dict[str, dict[str, Any]] = {
    "generator-ksa": {"generator": {"serviceAccount": {"name": "shop-generator"}}},
    "project": {"gcp": {"projectId": "other-project", "projectNumber": "123456789012"}},
    "project-number": {"gcp": {"projectId": "test-project", "projectNumber": "210987654321"}},
    "namespaces": {"operator": {"watchNamespaces": ["team-a"]}},
    "gsa": {"cloud": {"serviceAccount": {"name": "shop-pipeline"}}},
    "narrow-identity": {"cloud": {"generatorServiceAccount": {"enabled": True}}},
}


def _dead_letter(**overrides: Any) -> dict[str, Any]:
    values = default_values(
        gcp={"projectId": "test-project", "projectNumber": "123456789012"},
        cloud={"pubsub": {"deadLetter": {"enabled": True}}},
    )
    for key, value in overrides.items():
        values[key] = {**values.get(key, {}), **value}
    return values


@pytest.mark.parametrize("change", [*CHANGES, "all"])
def test_an_upgrade_never_changes_the_spec_of_an_existing_iam_policy_member(
    helm: Path, change: str
) -> None:
    # Every spec field of an IAMPolicyMember is immutable (Config Connector refuses the
    # update), so an object name that survives an upgrade must keep its spec exactly.
    before = _members(render(helm, _dead_letter()))
    overrides = CHANGES[change] if change != "all" else {}
    if change == "all":
        for values in CHANGES.values():
            for key, value in values.items():
                overrides[key] = {**overrides.get(key, {}), **value}
    after = _members(render(helm, _dead_letter(**overrides)))
    assert set(before) != set(after), "the change should replace at least one binding"
    for name in set(before) & set(after):
        assert before[name] == after[name], name


def test_workload_identity_binding_is_replaced_when_the_ksa_changes(helm: Path) -> None:
    before = render(helm, default_values())
    after = render(helm, default_values(generator={"serviceAccount": {"name": "shop-generator"}}))

    def wi(rendered: Rendered) -> tuple[str, str]:
        [member] = [
            m
            for m in rendered.of_kind("IAMPolicyMember")
            if m["spec"]["role"] == "roles/iam.workloadIdentityUser"
        ]
        return member["metadata"]["name"], member["spec"]["member"]

    (old_name, old_member), (new_name, new_member) = wi(before), wi(after)
    assert old_member.endswith("[eventgen/platform-generator]")
    assert new_member.endswith("[eventgen/shop-generator]")
    assert old_name != new_name
    assert old_name.startswith("ecommerce-data-pipeline-wi-eventgen-")


def test_narrow_generator_identity_publishes_and_writes_objects_only(helm: Path) -> None:
    rendered = render(helm, default_values(cloud={"generatorServiceAccount": {"enabled": True}}))
    email = "ecommerce-event-generator@test-project.iam.gserviceaccount.com"
    grants = {
        (m["spec"]["role"], m["spec"]["resourceRef"]["kind"], m["spec"]["resourceRef"].get("name"))
        for m in rendered.of_kind("IAMPolicyMember")
        if m["spec"]["member"] == f"serviceAccount:{email}"
    }
    assert grants == {
        ("roles/pubsub.publisher", "PubSubTopic", "ecommerce-events"),
        ("roles/storage.objectUser", "StorageBucket", "test-project-dev-raw-data"),
    }
    ksa = rendered.one("ServiceAccount", "platform-generator")
    assert ksa["metadata"]["annotations"]["iam.gke.io/gcp-service-account"] == email
    [wi] = [
        m
        for m in rendered.of_kind("IAMPolicyMember")
        if m["spec"]["role"] == "roles/iam.workloadIdentityUser"
    ]
    assert wi["spec"]["resourceRef"] == {
        "kind": "IAMServiceAccount",
        "name": "ecommerce-event-generator",
    }
    # The pipeline account keeps its five project roles for the next phase.
    pipeline = [
        m
        for m in rendered.of_kind("IAMPolicyMember")
        if m["spec"]["member"].startswith("serviceAccount:ecommerce-data-pipeline@")
    ]
    assert len(pipeline) == 5
    assert {a["metadata"]["name"] for a in rendered.of_kind("IAMServiceAccount")} == {
        "ecommerce-data-pipeline",
        "ecommerce-event-generator",
    }


def test_narrow_identity_with_the_pipelines_name_is_refused(helm: Path) -> None:
    values = default_values(
        cloud={"generatorServiceAccount": {"enabled": True, "name": "ecommerce-data-pipeline"}}
    )
    with pytest.raises(RenderError) as refused:
        render(helm, values)
    assert "cloud.generatorServiceAccount.name must differ" in str(refused.value)


def test_config_connector_annotations_reach_every_cloud_object(helm: Path) -> None:
    extra = {
        "cnrm.cloud.google.com/reconcile-interval-in-seconds": "600",
        "cnrm.cloud.google.com/state-into-spec": "absent",
    }
    rendered = render(helm, default_values(configConnector={"annotations": extra}))
    cnrm = [o for o in rendered.objects if ".cnrm.cloud.google.com/" in o["apiVersion"]]
    assert cnrm
    for obj in cnrm:
        annotations = obj["metadata"]["annotations"]
        assert extra.items() <= annotations.items()
        assert annotations["cnrm.cloud.google.com/deletion-policy"] == "abandon"


@pytest.mark.parametrize(
    ("key", "value"),
    [
        ("cnrm.cloud.google.com/deletion-policy", "delete"),
        ("cnrm.cloud.google.com/project-id", "elsewhere"),
    ],
)
def test_annotations_the_chart_owns_are_refused(helm: Path, key: str, value: str) -> None:
    with pytest.raises(RenderError) as refused:
        render(helm, default_values(configConnector={"annotations": {key: value}}))
    assert f"configConnector.annotations may not set {key}" in str(refused.value)


def test_retention_pattern_accepts_exactly_600_to_604800_seconds() -> None:
    accepted = [n for n in range(0, 700_001) if RETENTION.match(f"{n}s")]
    assert accepted == list(range(600, 604_801))
    for text in ["0600s", "604800", "7d", "600.5s", "-600s", " 600s", "604801s", "6048000s"]:
        assert not RETENTION.match(text), text


@pytest.mark.parametrize("retention", ["599s", "604801s", "0s", "31d"])
def test_retention_outside_the_documented_range_is_refused(helm: Path, retention: str) -> None:
    with pytest.raises(RenderError) as refused:
        render(helm, default_values(cloud={"pubsub": {"messageRetentionDuration": retention}}))
    assert "messageRetentionDuration" in str(refused.value)


@pytest.mark.parametrize("retention", ["600s", "86400s", "604800s"])
def test_retention_inside_the_range_renders(helm: Path, retention: str) -> None:
    values = default_values(cloud={"pubsub": {"messageRetentionDuration": retention}})
    spec = render(helm, values).one("PubSubSubscription")["spec"]
    assert spec["messageRetentionDuration"] == retention
