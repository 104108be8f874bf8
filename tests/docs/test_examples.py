"""Every EventGenerator in examples/ is one the API server and the operator accept as
written, and the example scripts parse and refuse bad arguments with one line."""

from __future__ import annotations

import copy
import subprocess
from typing import Any

import jsonschema
import pytest

from eventgen_operator.errors import InvalidSpecError
from eventgen_operator.spec import parse_spec
from tests.docs.examples import EXAMPLES, crd_schema, example_generators

GENERATORS = example_generators()
RAMP = EXAMPLES / "load-ramp.sh"


def test_examples_cover_the_documented_cases() -> None:
    names = {path for path, _ in GENERATORS}
    assert {"streaming.yaml", "batch.yaml", "faults.yaml", "daily-batch/eventgenerator.yaml"} <= (
        names
    )


@pytest.mark.parametrize(("path", "manifest"), GENERATORS, ids=[p for p, _ in GENERATORS])
def test_example_passes_the_crd_schema_with_unknown_fields_refused(
    path: str, manifest: dict[str, Any]
) -> None:
    assert manifest["apiVersion"] == "ecommerce.dataplatform.io/v1alpha1"
    jsonschema.validate(manifest, crd_schema())


@pytest.mark.parametrize(("path", "manifest"), GENERATORS, ids=[p for p, _ in GENERATORS])
def test_example_passes_the_operators_own_checks(path: str, manifest: dict[str, Any]) -> None:
    parse_spec(manifest["spec"], manifest["metadata"]["name"])


def test_the_strict_schema_refuses_a_misspelt_field_the_server_would_drop() -> None:
    # Without this, a typo such as `maxRatePerPod` would pass the examples test unnoticed.
    _, manifest = next(g for g in GENERATORS if g[0] == "streaming.yaml")
    typo = copy.deepcopy(manifest)
    typo["spec"]["sink"]["pubsub"]["orderingKey"] = "order_id"
    with pytest.raises(jsonschema.ValidationError, match="orderingKey"):
        jsonschema.validate(typo, crd_schema())


def test_the_operator_refuses_what_the_schema_cannot_see() -> None:
    # Cross-field rules are CEL (dropped by servers < 1.25): the operator is the backstop.
    _, manifest = next(g for g in GENERATORS if g[0] == "batch.yaml")
    broken = copy.deepcopy(manifest)
    broken["spec"]["batch"]["parallelism"] = 9
    jsonschema.validate(broken, crd_schema())
    with pytest.raises(InvalidSpecError, match="parallelism must not exceed"):
        parse_spec(broken["spec"], broken["metadata"]["name"])


def test_load_ramp_script_parses() -> None:
    done = subprocess.run(["bash", "-n", str(RAMP)], capture_output=True, text=True, check=False)
    assert done.returncode == 0, done.stderr


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["orders-stream"], "usage"),
        (["orders-stream", "100", "lots"], "rate 'lots' is not a number"),
        (["-t", "1m", "orders-stream", "100"], "-t HOLD_SECONDS must be a whole number"),
        (["-w", "-3", "orders-stream", "100"], "-w WAIT_SECONDS must be a whole number"),
    ],
)
def test_load_ramp_refuses_bad_arguments_before_touching_the_cluster(
    args: list[str], message: str
) -> None:
    # KUBECTL=false: any kubectl call would fail differently (exit 1), so exit 2 proves
    # the arguments were refused first.
    done = subprocess.run(
        ["bash", str(RAMP), *args],
        capture_output=True,
        text=True,
        check=False,
        env={"PATH": "/usr/bin:/bin", "KUBECTL": "false"},
    )
    assert done.returncode == 2
    if message == "usage":
        assert "load-ramp.sh [-n NAMESPACE]" in done.stderr
    else:
        assert done.stderr.startswith("load-ramp: error: ")
        assert message in done.stderr
        assert len(done.stderr.strip().splitlines()) == 1
