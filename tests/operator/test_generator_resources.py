"""Generator containers' requests and limits: sized defaults, the chart's, the spec's."""

from __future__ import annotations

from typing import Any

import pytest

from eventgen_operator.children import build_deployment, build_job
from eventgen_operator.config import (
    DEFAULT_GENERATOR_RESOURCES,
    DEFAULT_PARTS_GENERATOR_RESOURCES,
    OperatorConfig,
    parse_resources,
)
from eventgen_operator.spec import GeneratorSpec
from tests.operator.builders import OWNER, batch, streaming

PUBSUB = {"type": "pubsub", "pubsub": {"topic": "ecommerce-events"}}
GCS = {"type": "gcs", "gcs": {"bucket": "raw-events"}}


def resources_of(spec: GeneratorSpec, config: OperatorConfig | None = None) -> Any:
    """The generator container's `resources` in the Deployment or Job; None if absent."""
    config = config or OperatorConfig()
    build = build_deployment if spec.mode == "streaming" else build_job
    [container] = build(spec, OWNER, config)["spec"]["template"]["spec"]["containers"]
    return container.get("resources")


@pytest.mark.parametrize(
    ("spec", "expected"),
    [
        (streaming(sink=PUBSUB), DEFAULT_GENERATOR_RESOURCES),
        (streaming(), DEFAULT_GENERATOR_RESOURCES),  # stdout
        (streaming(sink=GCS), DEFAULT_PARTS_GENERATOR_RESOURCES),
        (streaming(sink={"type": "jsonl-local"}), DEFAULT_PARTS_GENERATOR_RESOURCES),
        (batch(sink=GCS), DEFAULT_PARTS_GENERATOR_RESOURCES),
        (batch(sink=PUBSUB), DEFAULT_GENERATOR_RESOURCES),
    ],
)
def test_pods_without_spec_resources_get_the_sized_defaults_of_their_sink(
    spec: GeneratorSpec, expected: Any
) -> None:
    # Never BestEffort: the scheduler has requests to plan with, the node a memory limit.
    assert resources_of(spec) == expected
    assert expected["requests"]["cpu"] and expected["limits"]["memory"]


def test_a_specs_resources_replace_the_defaults_whole_and_an_empty_one_means_none() -> None:
    own = {"requests": {"cpu": "2"}}  # above the default CPU limit: merging would break it
    assert resources_of(streaming(sink=PUBSUB, resources=own)) == {"requests": {"cpu": "2"}}
    assert resources_of(batch(sink=GCS, resources={"limits": {"memory": "1Gi"}})) == {
        "limits": {"memory": "1Gi"}
    }
    assert resources_of(streaming(sink=PUBSUB, resources={})) is None


def test_the_charts_resources_replace_the_built_in_defaults_for_every_sink() -> None:
    chart = OperatorConfig.from_env(
        {"EVENTGEN_OPERATOR_GENERATOR_RESOURCES": '{"requests": {"cpu": "100m", "memory": 64}}'}
    )
    wanted = {"requests": {"cpu": "100m", "memory": "64"}}
    assert resources_of(streaming(sink=PUBSUB), chart) == wanted
    assert resources_of(batch(sink=GCS), chart) == wanted
    assert resources_of(streaming(sink=PUBSUB, resources={}), chart) is None
    # Unset or empty: the built-in defaults.
    assert OperatorConfig.from_env({}).generator_resources is None
    assert OperatorConfig.from_env({"EVENTGEN_OPERATOR_GENERATOR_RESOURCES": ""}) == (
        OperatorConfig()
    )


def test_a_rate_edit_never_changes_the_resources_so_pods_are_not_rolled() -> None:
    low = resources_of(streaming(sink=PUBSUB, rate=10))
    assert resources_of(streaming(sink=PUBSUB, rate=900_000)) == low


@pytest.mark.parametrize(
    ("text", "says"),
    [
        ("{", "not JSON"),
        ("[]", "only requests and limits"),
        ('{"request": {"cpu": "1"}}', "only requests and limits"),
        ('{"requests": ["cpu"]}', "requests must map resource names to quantities"),
        ('{"requests": {"cpu": true}}', "requests must map resource names to quantities"),
        ('{"requests": {"cpu": {"n": 1}}}', "requests must map resource names to quantities"),
        ('{"requests": {"cpu": "lots"}}', "resources.requests.cpu"),
        ('{"requests": {"cpu": "2"}, "limits": {"cpu": "1"}}', "requests.cpu"),
        ('{"limits": {"memory": "-1Gi"}}', "resources.limits.memory"),
    ],
)
def test_bad_chart_resources_are_one_line_errors_naming_the_variable(text: str, says: str) -> None:
    with pytest.raises(ValueError) as raised:
        parse_resources(text)
    message = str(raised.value)
    assert message.startswith("EVENTGEN_OPERATOR_GENERATOR_RESOURCES: ")
    assert says in message and "\n" not in message


def test_empty_and_null_groups_are_dropped() -> None:
    assert parse_resources("{}") == {}
    assert parse_resources('{"requests": null, "limits": {}}') == {}
