"""The operator's own spec checks: what a 1.20 API server (no CEL) lets through."""

from __future__ import annotations

from typing import Any

import pytest

from eventgen_operator.errors import InvalidSpecError
from eventgen_operator.spec import parse_spec
from tests.operator.builders import example


def problems(raw: dict[str, Any], name: str = "orders") -> list[str]:
    with pytest.raises(InvalidSpecError) as caught:
        parse_spec(raw, name)
    return caught.value.problems


@pytest.mark.parametrize(
    ("raw", "message"),
    [
        (
            {"mode": "batch", "sink": {"type": "stdout"}},
            "spec.batch (with events) is required when spec.mode is batch",
        ),
        (
            {"sink": {"type": "pubsub"}},
            "spec.sink.pubsub.topic is required when spec.sink.type is pubsub",
        ),
        (
            {"sink": {"type": "pubsub", "pubsub": {"project": "my-project"}}},
            "spec.sink.pubsub.topic is required when spec.sink.type is pubsub",
        ),
        (
            {"sink": {"type": "gcs", "gcs": {"prefix": "raw/"}}},
            "spec.sink.gcs.bucket is required when spec.sink.type is gcs",
        ),
        (
            {
                "mode": "batch",
                "sink": {"type": "stdout"},
                "batch": {"events": 10, "shards": 2, "parallelism": 3},
            },
            "spec.batch.parallelism must not exceed spec.batch.shards",
        ),
        (
            {"rate": 6_000_000, "maxRatePerReplica": 5000, "sink": {"type": "stdout"}},
            "spec.rate needs more than 1000 replicas at spec.maxRatePerReplica; "
            "raise maxRatePerReplica",
        ),
        (
            {"sink": {"type": "stdout"}, "faults": {"duplicateRate": 0.6, "lateRate": 0.6}},
            "spec.faults: duplicateRate + lateRate + malformedRate must be at most 1",
        ),
    ],
)
def test_cross_field_rules_are_reported_with_the_crd_messages(
    raw: dict[str, Any], message: str
) -> None:
    assert problems(raw) == [message]


def test_cross_field_messages_match_the_crd_cel_messages() -> None:
    from tests.operator.builders import crd

    schema = crd()["spec"]["versions"][0]["schema"]["openAPIV3Schema"]["properties"]["spec"]
    cel = [rule["message"] for rule in schema["x-kubernetes-validations"]]
    cel += [rule["message"] for rule in schema["properties"]["sink"]["x-kubernetes-validations"]]
    assert "spec.batch (with events) is required when spec.mode is batch" in cel
    assert "spec.sink.pubsub.topic is required when spec.sink.type is pubsub" in cel
    assert "spec.sink.gcs.bucket is required when spec.sink.type is gcs" in cel
    assert "spec.batch.parallelism must not exceed spec.batch.shards" in cel


def test_the_crd_offers_exactly_the_locales_the_generator_supports() -> None:
    # kubectl apply refuses an unsupported locale up front, instead of a crash-looping pod.
    from eventgen.shop.locales import SUPPORTED_LOCALES
    from tests.operator.builders import crd

    spec = crd()["spec"]["versions"][0]["schema"]["openAPIV3Schema"]["properties"]["spec"]
    locale = spec["properties"]["events"]["properties"]["locale"]
    assert sorted(locale["enum"]) == sorted(SUPPORTED_LOCALES)
    assert locale["default"] in SUPPORTED_LOCALES


@pytest.mark.parametrize(
    ("raw", "field"),
    [
        ({"mode": "sideways", "sink": {"type": "stdout"}}, "spec.mode:"),
        ({"rate": -1, "sink": {"type": "stdout"}}, "spec.rate:"),
        ({"maxRatePerReplica": 0, "sink": {"type": "stdout"}}, "spec.maxRatePerReplica:"),
        ({"sink": {"type": "kafka"}}, "spec.sink.type:"),
        ({}, "spec.sink:"),
        ({"sink": {"type": "stdout"}, "faults": {"lateRate": 1.5}}, "spec.faults.lateRate:"),
        (
            {"sink": {"type": "stdout"}, "events": {"locale": "zh_CN"}},
            "spec.events.locale: unsupported locale 'zh_CN'",
        ),
        (
            {"mode": "batch", "sink": {"type": "stdout"}, "batch": {"events": 0}},
            "spec.batch.events:",
        ),
    ],
)
def test_schema_violations_name_the_field(raw: dict[str, Any], field: str) -> None:
    [problem] = problems(raw)
    assert problem.startswith(field), problem


def test_a_name_too_long_for_its_children_is_refused() -> None:
    [problem] = problems({"sink": {"type": "stdout"}}, name="x" * 53)
    assert problem.startswith("metadata.name: at most 52 characters")


def test_every_problem_is_listed_at_once() -> None:
    found = problems({"rate": -1, "maxRatePerReplica": 0, "sink": {"type": "stdout"}})
    assert len(found) == 2


@pytest.mark.parametrize("name", ["streaming.yaml", "batch.yaml", "faults.yaml"])
def test_the_examples_are_valid(name: str) -> None:
    manifest = example(name)
    parse_spec(manifest["spec"], manifest["metadata"]["name"])
