"""The dead-letter option works as rendered: Pub/Sub's service agent gets the two roles it
needs to forward undeliverable messages, and the chart refuses to render without the
project number that names that agent."""

from __future__ import annotations

import subprocess
from pathlib import Path
from typing import Any

import pytest

from tests.chart.matrix import VALUE_MATRIX
from tests.support.helm_chart import (
    CHART_DIR,
    Manifest,
    Rendered,
    RenderError,
    default_values,
    render,
    render_text,
)

AGENT = "serviceAccount:service-123456789012@gcp-sa-pubsub.iam.gserviceaccount.com"
MISSING_NUMBER = "gcp.projectNumber is required with cloud.pubsub.deadLetter.enabled=true"


def _agent_members(rendered: Rendered) -> list[Manifest]:
    return [
        m
        for m in rendered.of_kind("IAMPolicyMember")
        if "@gcp-sa-pubsub.iam.gserviceaccount.com" in m["spec"]["member"]
    ]


def _dead_letter_values(**pubsub: Any) -> dict[str, Any]:
    dead_letter = {"enabled": True, **pubsub.pop("deadLetter", {})}
    return default_values(
        gcp={"projectId": "test-project", "projectNumber": "123456789012"},
        cloud={"pubsub": {**pubsub, "deadLetter": dead_letter}},
    )


def test_service_agent_may_publish_to_the_dead_letter_topic(helm: Path) -> None:
    rendered = render(helm, VALUE_MATRIX["dead-letter-on"])
    [publisher] = [m for m in _agent_members(rendered) if m["spec"]["role"].endswith("publisher")]
    assert publisher["spec"] == {
        "member": AGENT,
        "role": "roles/pubsub.publisher",
        "resourceRef": {"kind": "PubSubTopic", "name": "ecommerce-events-dead-letter"},
    }
    # The reference names the chart's own dead-letter PubSubTopic object.
    rendered.one("PubSubTopic", publisher["spec"]["resourceRef"]["name"])


def test_service_agent_may_subscribe_to_the_source_subscription(helm: Path) -> None:
    rendered = render(helm, VALUE_MATRIX["dead-letter-on"])
    [subscriber] = [m for m in _agent_members(rendered) if m["spec"]["role"].endswith("subscriber")]
    assert subscriber["spec"] == {
        "member": AGENT,
        "role": "roles/pubsub.subscriber",
        "resourceRef": {"kind": "PubSubSubscription", "name": "ecommerce-events-sub"},
    }
    subscription = rendered.one("PubSubSubscription", "ecommerce-events-sub")
    assert "deadLetterPolicy" in subscription["spec"]


def test_service_agent_bindings_carry_project_and_abandon_annotations(helm: Path) -> None:
    members = _agent_members(render(helm, VALUE_MATRIX["dead-letter-on"]))
    assert len(members) == 2
    for member in members:
        assert member["apiVersion"] == "iam.cnrm.cloud.google.com/v1beta1"
        assert member["metadata"]["namespace"] == "eventgen"
        assert member["metadata"]["annotations"] == {
            "cnrm.cloud.google.com/project-id": "test-project",
            "cnrm.cloud.google.com/deletion-policy": "abandon",
        }


def test_service_agent_bindings_drop_abandon_when_cloud_resources_are_deleted(
    helm: Path,
) -> None:
    values = _dead_letter_values()
    values["configConnector"] = {"deleteCloudResources": True}
    for member in _agent_members(render(helm, values)):
        assert "cnrm.cloud.google.com/deletion-policy" not in member["metadata"]["annotations"]


def test_no_service_agent_bindings_without_dead_letter(defaults: Rendered) -> None:
    assert _agent_members(defaults) == []
    kinds = {m["spec"]["resourceRef"]["kind"] for m in defaults.of_kind("IAMPolicyMember")}
    assert kinds == {"Project", "IAMServiceAccount"}


def test_project_number_is_not_needed_without_dead_letter(helm: Path) -> None:
    # The default install must not start asking for a value it does not use.
    assert render(helm, default_values()).one("PubSubSubscription")


def test_bindings_follow_custom_topic_and_subscription_names(helm: Path) -> None:
    values = _dead_letter_values(
        subscription="shop-events-dataflow", deadLetter={"topic": "shop-events-poison"}
    )
    rendered = render(helm, values)
    refs = {m["spec"]["role"]: m["spec"]["resourceRef"] for m in _agent_members(rendered)}
    assert refs == {
        "roles/pubsub.publisher": {"kind": "PubSubTopic", "name": "shop-events-poison"},
        "roles/pubsub.subscriber": {
            "kind": "PubSubSubscription",
            "name": "shop-events-dataflow",
        },
    }
    policy = rendered.one("PubSubSubscription", "shop-events-dataflow")["spec"]["deadLetterPolicy"]
    assert policy["deadLetterTopicRef"] == {"name": "shop-events-poison"}


def test_long_topic_names_give_distinct_valid_binding_names(helm: Path) -> None:
    long_name = "events-" + "x" * 120
    values = _dead_letter_values(subscription=long_name, deadLetter={"topic": long_name})
    names = [m["metadata"]["name"] for m in _agent_members(render(helm, values))]
    assert len(set(names)) == 2
    for name in names:
        assert len(name) <= 63
        assert not name.endswith("-")


def test_missing_project_number_fails_naming_the_value_and_how_to_find_it(helm: Path) -> None:
    values = default_values(cloud={"pubsub": {"deadLetter": {"enabled": True}}})
    with pytest.raises(RenderError) as refused:
        render_text(helm, values)
    message = str(refused.value)
    assert MISSING_NUMBER in message
    assert "gcloud projects describe test-project --format 'value(projectNumber)'" in message


def test_missing_project_number_stops_helm_install_before_the_cluster(helm: Path) -> None:
    result = subprocess.run(
        [
            str(helm), "install", "--dry-run=client", "platform", str(CHART_DIR),
            "--set", "gcp.projectId=test-project",
            "--set", "cloud.pubsub.deadLetter.enabled=true",
        ],
        capture_output=True, text=True, timeout=120, check=False,
    )  # fmt: skip
    assert result.returncode != 0
    assert MISSING_NUMBER in result.stderr


def test_dead_letter_without_config_connector_needs_no_project_number(helm: Path) -> None:
    # No Config Connector objects are rendered, so there is no agent to grant anything to.
    values = default_values(
        configConnector={"enabled": False}, cloud={"pubsub": {"deadLetter": {"enabled": True}}}
    )
    assert _agent_members(render(helm, values)) == []


@pytest.mark.parametrize(
    "number",
    ["", "12345678901a", "0123456789", "123-456", 123456789012],
    ids=["empty", "letter", "leading-zero", "hyphen", "integer"],
)
def test_malformed_project_number_is_refused_naming_it(helm: Path, number: Any) -> None:
    # An integer is refused too: helm would print a large YAML number as 1.23456789012e+11.
    values = _dead_letter_values()
    values["gcp"]["projectNumber"] = number
    with pytest.raises(RenderError) as refused:
        render_text(helm, values)
    assert "/gcp/projectNumber" in str(refused.value)


def test_set_string_project_number_renders_the_agent(helm: Path) -> None:
    # What the docs tell users to type; --set (not --set-string) would make it a number.
    text = render_text(
        helm,
        default_values(cloud={"pubsub": {"deadLetter": {"enabled": True}}}),
        extra=["--set-string", "gcp.projectNumber=987654321098"],
    )
    assert "serviceAccount:service-987654321098@gcp-sa-pubsub.iam.gserviceaccount.com" in text


def test_plain_set_of_the_number_is_refused_with_the_type_named(helm: Path) -> None:
    # The docs quote this message to explain why they say --set-string.
    with pytest.raises(RenderError) as refused:
        render_text(
            helm,
            default_values(cloud={"pubsub": {"deadLetter": {"enabled": True}}}),
            extra=["--set", "gcp.projectNumber=987654321098"],
        )
    assert "at '/gcp/projectNumber': got number, want string" in str(refused.value)
