"""Every Config Connector object the chart renders is valid for the real KCC CRDs.

Validated against each CRD's ``spec.versions[0].schema.openAPIV3Schema`` with unknown fields
made errors: the API server would prune them silently and the cloud resource would not be
what the chart meant. The CRDs are reference data outside the repository, found through
``EVENTGEN_KCC_CRDS`` or ``<repo>/../shared/kcc-crds``.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import jsonschema
import pytest

from tests.chart.matrix import VALUE_MATRIX
from tests.support.helm_chart import (
    KCC_CRDS_ENV,
    Manifest,
    kcc_crds_dir,
    load_kcc_crds,
    render,
    strict_schema,
)


@pytest.fixture(scope="module")
def kcc_validators() -> dict[tuple[str, str], jsonschema.protocols.Validator]:
    """A strict validator per (apiVersion, kind) of the Config Connector CRDs."""
    folder = kcc_crds_dir()
    if not folder.is_dir() or not any(folder.glob("*.yaml")):
        pytest.skip(
            f"Config Connector CRDs not found in {folder}; set {KCC_CRDS_ENV} to a folder "
            "holding the CRD YAML files from GoogleCloudPlatform/k8s-config-connector"
        )
    validators = {}
    for key, crd in load_kcc_crds(folder).items():
        schema = strict_schema(crd["spec"]["versions"][0]["schema"]["openAPIV3Schema"])
        validator_class = jsonschema.validators.validator_for(schema, jsonschema.Draft4Validator)
        validators[key] = validator_class(schema)
    return validators


def _errors(validator: jsonschema.protocols.Validator, obj: Manifest) -> list[str]:
    return [
        f"{'/'.join(str(p) for p in error.absolute_path)}: {error.message}"
        for error in validator.iter_errors(obj)
    ]


@pytest.mark.parametrize("case", sorted(VALUE_MATRIX))
def test_rendered_kcc_objects_validate_against_the_real_crds(
    helm: Path, case: str, kcc_validators: dict[tuple[str, str], Any]
) -> None:
    rendered = render(helm, VALUE_MATRIX[case])
    cnrm = [obj for obj in rendered.objects if ".cnrm.cloud.google.com/" in obj["apiVersion"]]
    if case != "config-connector-off":
        assert cnrm, "expected Config Connector objects"
    for obj in cnrm:
        key = (obj["apiVersion"], obj["kind"])
        assert key in kcc_validators, f"no CRD for {key}"
        assert _errors(kcc_validators[key], obj) == [], obj["metadata"]["name"]


def test_strict_validation_catches_a_misspelt_field(
    kcc_validators: dict[tuple[str, str], Any],
) -> None:
    # Guards the guard: the injected additionalProperties must turn a typo into an error.
    subscription: Manifest = {
        "apiVersion": "pubsub.cnrm.cloud.google.com/v1beta1",
        "kind": "PubSubSubscription",
        "metadata": {"name": "s"},
        "spec": {"topicRef": {"name": "t"}, "ackDeadline": 60},
    }
    errors = _errors(
        kcc_validators[("pubsub.cnrm.cloud.google.com/v1beta1", "PubSubSubscription")], subscription
    )
    assert any("ackDeadline" in error for error in errors)


def test_validation_catches_a_wrong_type(kcc_validators: dict[tuple[str, str], Any]) -> None:
    table: Manifest = {
        "apiVersion": "bigquery.cnrm.cloud.google.com/v1beta1",
        "kind": "BigQueryTable",
        "metadata": {"name": "t"},
        "spec": {"datasetRef": {"name": "d"}, "schema": [{"name": "a", "type": "STRING"}]},
    }
    errors = _errors(
        kcc_validators[("bigquery.cnrm.cloud.google.com/v1beta1", "BigQueryTable")], table
    )
    assert any(error.startswith("spec/schema") for error in errors)
