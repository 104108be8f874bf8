"""Config Connector objects get names the API server accepts, for every name the values
schema allows; the real Pub/Sub and Cloud Storage names travel in ``spec.resourceID``.

Pub/Sub allows ``[A-Za-z][A-Za-z0-9._~+%-]{2,254}`` and buckets dots and underscores, while a
Kubernetes object name is a lower-case DNS name: the value itself cannot be the object's name.
"""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import strategies as st

from tests.support.helm_chart import CHART_DIR, Rendered, RenderError, default_values, render

DNS_LABEL = re.compile(r"^[a-z0-9]([-a-z0-9]*[a-z0-9])?$")
SCHEMA = json.loads((CHART_DIR / "values.schema.json").read_text())
PUBSUB = SCHEMA["properties"]["cloud"]["properties"]["pubsub"]["properties"]
TOPIC_PATTERN = PUBSUB["topic"]["pattern"]
BUCKET_PATTERN = SCHEMA["properties"]["cloud"]["properties"]["bucket"]["properties"]["name"][
    "pattern"
].removeprefix("^$|")
RESOURCE_KINDS = ("PubSubTopic", "PubSubSubscription", "StorageBucket")


def names_values(topic: str, subscription: str, dead_topic: str, bucket: str) -> dict[str, Any]:
    """Values with every cloud name set, the dead-letter topic on."""
    return default_values(
        gcp={"projectId": "test-project", "projectNumber": "123456789012"},
        cloud={
            "bucket": {"name": bucket},
            "pubsub": {
                "topic": topic,
                "subscription": subscription,
                "deadLetter": {
                    "enabled": True,
                    "topic": dead_topic,
                    "subscription": dead_topic + "-sub",
                },
            },
        },
    )


def resource_ids(rendered: Rendered) -> dict[str, str]:
    """Real name -> object name of every topic, subscription and bucket."""
    return {
        obj["spec"]["resourceID"]: obj["metadata"]["name"]
        for kind in RESOURCE_KINDS
        for obj in rendered.of_kind(kind)
    }


def assert_names_valid_and_references_resolve(rendered: Rendered, given_names: set[str]) -> None:
    ids = resource_ids(rendered)
    assert set(ids) == given_names  # every real name reaches Google through resourceID
    for obj in rendered.objects:
        if ".cnrm.cloud.google.com/" in obj["apiVersion"]:
            name = obj["metadata"]["name"]
            assert DNS_LABEL.match(name) and len(name) <= 63, (obj["kind"], name)
    objects = {(o["kind"], o["metadata"]["name"]) for o in rendered.objects}
    assert len(objects) == len(rendered.objects), "two objects share a kind and name"
    for subscription in rendered.of_kind("PubSubSubscription"):
        spec = subscription["spec"]
        assert ("PubSubTopic", spec["topicRef"]["name"]) in objects
        if "deadLetterPolicy" in spec:
            dead = spec["deadLetterPolicy"]["deadLetterTopicRef"]["name"]
            assert ("PubSubTopic", dead) in objects
    for member in rendered.of_kind("IAMPolicyMember"):
        ref = member["spec"]["resourceRef"]
        if "name" in ref:
            assert (ref["kind"], ref["name"]) in objects, ref


# Names Kubernetes refuses or that collide once lower-cased, each allowed by the schema.
ADVERSARIAL = [
    ("Orders_Events", "orders-events", "Orders~Events+DLQ", "acme_raw_data"),
    ("a%2Fb", "A.B.C", "x" * 251, "acme.raw.data"),
    ("ecommerce-events", "ecommerce-events-sub", "ecommerce-events-dead-letter", "b" * 63),
    ("Zz" + "-" * 60 + "Zz", "sub_" + "y" * 200, "T~~~", "a-b_c.d"),
]


@pytest.mark.parametrize("names", ADVERSARIAL, ids=["underscore", "dots", "valid", "edges"])
def test_schema_allowed_names_give_valid_distinct_object_names(
    helm: Path, names: tuple[str, str, str, str]
) -> None:
    rendered = render(helm, names_values(*names))
    given_names = {*names, names[2] + "-sub"}
    assert_names_valid_and_references_resolve(rendered, given_names)


def test_names_that_are_already_valid_object_names_are_kept(defaults: Rendered) -> None:
    # Existing installs keep their objects: no rename (and so no re-creation) on upgrade.
    assert resource_ids(defaults) == {
        "ecommerce-events": "ecommerce-events",
        "ecommerce-events-sub": "ecommerce-events-sub",
        "test-project-dev-raw-data": "test-project-dev-raw-data",
    }


def test_names_differing_only_in_case_get_different_objects(helm: Path) -> None:
    rendered = render(helm, names_values("Orders", "orders", "ORDERS", "acme-bucket"))
    ids = resource_ids(rendered)
    assert len({ids["Orders"], ids["orders"], ids["ORDERS"]}) == 3


@pytest.mark.parametrize(
    ("pubsub", "message"),
    [
        ({"topic": "same-name", "deadLetter": {"topic": "same-name"}}, "deadLetter.topic"),
        (
            {"subscription": "same-sub", "deadLetter": {"subscription": "same-sub"}},
            "deadLetter.subscription",
        ),
    ],
)
def test_dead_letter_names_equal_to_the_main_ones_are_refused(
    helm: Path, pubsub: dict[str, Any], message: str
) -> None:
    pubsub["deadLetter"]["enabled"] = True
    values = default_values(
        gcp={"projectId": "test-project", "projectNumber": "123456789012"},
        cloud={"pubsub": pubsub},
    )
    with pytest.raises(RenderError) as refused:
        render(helm, values)
    assert f"cloud.pubsub.{message} must differ" in str(refused.value)


@settings(
    max_examples=60,
    deadline=None,
    derandomize=True,
    # Each example is a helm run: report the failing example as found, without shrinking.
    phases=[Phase.explicit, Phase.generate],
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(
    topic=st.from_regex(TOPIC_PATTERN, fullmatch=True),
    subscription=st.from_regex(TOPIC_PATTERN, fullmatch=True),
    dead_topic=st.from_regex(TOPIC_PATTERN, fullmatch=True),
    bucket=st.from_regex(BUCKET_PATTERN, fullmatch=True),
)
def test_every_name_the_schema_allows_renders_valid_object_names(
    helm: Path, topic: str, subscription: str, dead_topic: str, bucket: str
) -> None:
    # Python's $ also matches before a final newline; the schema's (Go) regexp does not.
    names = [topic, subscription, dead_topic, bucket]
    if any(name.endswith("\n") for name in names) or len({topic, dead_topic}) < 2:
        return
    if len(dead_topic) > 251 or subscription == dead_topic + "-sub":
        return  # the "-sub" added above would leave the schema's range or collide
    rendered = render(helm, names_values(topic, subscription, dead_topic, bucket))
    assert_names_valid_and_references_resolve(rendered, {*names, dead_topic + "-sub"})
