"""The optional audit subscription: a second pull subscription on the same topic for
``eventgen audit``, off by default, never the pipeline's own."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.chart.matrix import VALUE_MATRIX
from tests.support.helm_chart import RenderError, default_values, render


def test_there_is_no_audit_subscription_by_default(helm: Path) -> None:
    rendered = render(helm, VALUE_MATRIX["defaults"])
    assert [s["metadata"]["name"] for s in rendered.of_kind("PubSubSubscription")] == [
        "ecommerce-events-sub"
    ]


def test_the_audit_subscription_reads_the_same_topic_and_leaves_the_pipelines_alone(
    helm: Path,
) -> None:
    rendered = render(helm, VALUE_MATRIX["audit-subscription-on"])
    audit = rendered.one("PubSubSubscription", "ecommerce-events-audit")
    pipeline = rendered.one("PubSubSubscription", "ecommerce-events-sub")
    assert audit["spec"] == {
        "resourceID": "ecommerce-events-audit",
        "topicRef": {"name": "ecommerce-events"},
        "ackDeadlineSeconds": 120,
        "messageRetentionDuration": "604800s",
    }
    assert pipeline["spec"]["ackDeadlineSeconds"] == 60  # the pipeline's own settings stay
    assert audit["metadata"]["annotations"] == pipeline["metadata"]["annotations"]


def test_the_audit_subscription_follows_a_renamed_topic(helm: Path) -> None:
    values = default_values(
        cloud={
            "pubsub": {
                "topic": "shop-events",
                "audit": {"enabled": True, "subscription": "shop-audit"},
            }
        }
    )
    audit = render(helm, values).one("PubSubSubscription", "shop-audit")
    assert audit["spec"]["topicRef"] == {"name": "shop-events"}


@pytest.mark.parametrize(
    ("audit", "message"),
    [
        (
            {"enabled": True, "subscription": "ecommerce-events-sub"},
            "cloud.pubsub.audit.subscription must differ from cloud.pubsub.subscription",
        ),
        ({"enabled": True, "ackDeadlineSeconds": 601}, "ackDeadlineSeconds"),
        ({"enabled": True, "messageRetentionDuration": "7d"}, "messageRetentionDuration"),
        ({"enabled": "yes"}, "enabled"),
        ({"enabled": True, "subscripton": "x"}, "'subscripton'"),
    ],
)
def test_bad_audit_values_are_refused_naming_them(
    helm: Path, audit: dict[str, object], message: str
) -> None:
    with pytest.raises(RenderError) as refused:
        render(helm, default_values(cloud={"pubsub": {"audit": audit}}))
    assert message in str(refused.value)
