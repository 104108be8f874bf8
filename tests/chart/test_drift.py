"""The chart's copies of shared definitions stay identical to their sources of truth."""

from __future__ import annotations

import hashlib
import json
import shutil
import subprocess
import sys
from pathlib import Path

import yaml

from eventgen.shop.schema import bigquery_schema
from eventgen_operator.crdcheck import REVISION_ANNOTATION, SCHEMA_REVISION
from tests.support.helm_chart import CHART_DIR, REPO_ROOT, Rendered, default_values, render_text

CHART_SCHEMA = CHART_DIR / "files" / "raw_events.schema.json"
REFRESH_HINT = (
    "refresh it: eventgen schema --format bigquery > helm/platform/files/raw_events.schema.json"
)


SOURCE_CRD = REPO_ROOT / "crds" / "eventgenerators.yaml"
COPY_HINT = "copy it: cp crds/eventgenerators.yaml helm/platform/files/eventgenerators.crd.yaml"


def test_chart_crd_is_a_verbatim_copy_of_crds_folder() -> None:
    copy = CHART_DIR / "files" / "eventgenerators.crd.yaml"
    assert copy.read_bytes() == SOURCE_CRD.read_bytes(), (
        f"helm/platform/files/eventgenerators.crd.yaml differs from crds/eventgenerators.yaml; "
        f"{COPY_HINT}"
    )


def test_chart_has_no_crds_folder_that_helm_would_install_beside_the_template() -> None:
    # Helm installs crds/ before the templates: the template's CRD would then collide with it.
    assert not (CHART_DIR / "crds").exists()


def test_rendered_crd_is_the_source_crd_with_helm_metadata(defaults: Rendered) -> None:
    source = yaml.safe_load(SOURCE_CRD.read_text())
    rendered = defaults.one("CustomResourceDefinition")
    assert rendered["spec"] == source["spec"], COPY_HINT
    assert rendered["apiVersion"] == source["apiVersion"]
    assert rendered["metadata"]["name"] == source["metadata"]["name"]
    for key, value in source["metadata"]["annotations"].items():
        assert rendered["metadata"]["annotations"][key] == value


def test_schema_revision_is_the_hash_of_the_crds_schemas_and_the_operators_constant() -> None:
    # Change the CRD's schema and this fails until the annotation and the operator's
    # SCHEMA_REVISION both carry the new value (then copy the CRD into the chart).
    source = yaml.safe_load(SOURCE_CRD.read_text())
    versions = [{"name": v["name"], "schema": v["schema"]} for v in source["spec"]["versions"]]
    canonical = json.dumps(versions, sort_keys=True, separators=(",", ":")).encode()
    revision = hashlib.sha256(canonical).hexdigest()[:16]
    annotated = source["metadata"]["annotations"][REVISION_ANNOTATION]
    assert (annotated, SCHEMA_REVISION) == (revision, revision), (
        f'set {REVISION_ANNOTATION}: "{revision}" in crds/eventgenerators.yaml and '
        f'SCHEMA_REVISION = "{revision}" in operator/eventgen_operator/crdcheck.py; {COPY_HINT}'
    )


def test_chart_table_schema_is_the_event_models_schema() -> None:
    stored = json.loads(CHART_SCHEMA.read_text())
    assert stored == bigquery_schema(), REFRESH_HINT


def test_chart_table_schema_is_what_the_schema_command_prints() -> None:
    # The command users run to refresh the file must print exactly what the chart holds.
    command = shutil.which("eventgen", path=str(Path(sys.executable).parent))
    assert command is not None, "the eventgen command is not installed next to this Python"
    result = subprocess.run(
        [command, "schema", "--format", "bigquery"],
        capture_output=True,
        text=True,
        timeout=60,
        check=True,
    )
    assert json.loads(result.stdout) == json.loads(CHART_SCHEMA.read_text()), REFRESH_HINT


def _without_cel(node: object) -> object:
    if isinstance(node, dict):
        return {k: _without_cel(v) for k, v in node.items() if k != "x-kubernetes-validations"}
    if isinstance(node, list):
        return [_without_cel(item) for item in node]
    return node


def test_before_1_25_the_rendered_crd_is_the_source_without_its_cel_rules(helm: Path) -> None:
    # Helm validates templates against a 1.20 server's OpenAPI schema, which refuses the key.
    text = render_text(helm, default_values(), extra=["--kube-version", "1.20.2"])
    [crd] = [d for d in yaml.safe_load_all(text) if d and d["kind"] == "CustomResourceDefinition"]
    source = yaml.safe_load(SOURCE_CRD.read_text())
    assert "x-kubernetes-validations" in SOURCE_CRD.read_text()
    assert "x-kubernetes-validations" not in yaml.safe_dump(crd)
    assert crd["spec"] == _without_cel(source["spec"])
