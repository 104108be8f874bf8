"""The chart lints cleanly and refuses bad values with a message that names the problem."""

from __future__ import annotations

import subprocess
from pathlib import Path
from typing import Any

import pytest
import yaml

from tests.support.helm_chart import CHART_DIR, RenderError, default_values, render_text


def test_chart_passes_helm_lint_strict(helm: Path) -> None:
    result = subprocess.run(
        [str(helm), "lint", "--strict", str(CHART_DIR), "--set", "gcp.projectId=test"],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert "0 chart(s) failed" in result.stdout


def test_every_value_in_values_yaml_has_a_comment_above_it() -> None:
    # cert-manager style: a user reading values.yaml learns what each key does there. A key
    # is documented by a comment right above it or above one of its parent keys.
    lines = (CHART_DIR / "values.yaml").read_text().splitlines()
    parents: list[tuple[int, bool]] = []  # (indent, documented) of the enclosing keys
    undocumented = []
    for index, line in enumerate(lines):
        stripped = line.strip()
        if not stripped or stripped.startswith("#") or stripped.startswith("- "):
            continue
        indent = len(line) - len(line.lstrip())
        while parents and parents[-1][0] >= indent:
            parents.pop()
        commented = index > 0 and lines[index - 1].strip().startswith("#")
        documented = commented or any(flag for _, flag in parents)
        if stripped.endswith(":"):
            parents.append((indent, documented))
        elif not documented:
            undocumented.append(stripped)
    assert undocumented == []


def test_values_yaml_and_schema_agree_on_keys(helm: Path) -> None:
    # The shipped defaults must pass the shipped schema (plus the one required value).
    values = yaml.safe_load((CHART_DIR / "values.yaml").read_text())
    values["gcp"]["projectId"] = "test"
    render_text(helm, values)


def _refusal(helm: Path, values: dict[str, Any] | None) -> str:
    with pytest.raises(RenderError) as refused:
        render_text(helm, values)
    return str(refused.value)


def test_missing_project_id_is_refused_naming_the_value(helm: Path) -> None:
    message = _refusal(helm, None)
    assert "projectId" in message
    assert "missing" in message


def test_empty_project_id_is_refused(helm: Path) -> None:
    message = _refusal(helm, {"gcp": {"projectId": ""}})
    assert "/gcp/projectId" in message


def test_install_without_project_fails_before_touching_a_cluster(helm: Path) -> None:
    # `helm install` validates values against the schema first; no cluster is reached here.
    result = subprocess.run(
        [str(helm), "install", "--dry-run=client", "platform", str(CHART_DIR)],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert result.returncode != 0
    assert "missing property 'projectId'" in result.stderr


@pytest.mark.parametrize(
    ("values", "named"),
    [
        ({**default_values(), "operater": {}}, "'operater'"),
        (default_values(operator={"watchNamespace": ["a"]}), "'watchNamespace'"),
        (default_values(cloud={"pubsub": {"ackDeadline": 60}}), "'ackDeadline'"),
        (default_values(cloud={"bucket": {"lifecycle": {}}}), "'lifecycle'"),
    ],
    ids=["top-level", "operator", "pubsub", "bucket"],
)
def test_unknown_key_is_refused_naming_it(helm: Path, values: dict[str, Any], named: str) -> None:
    message = _refusal(helm, values)
    assert "additional properties" in message
    assert named in message


@pytest.mark.parametrize(
    ("values", "where"),
    [
        (default_values(cloud={"pubsub": {"ackDeadlineSeconds": 5}}), "ackDeadlineSeconds"),
        (default_values(cloud={"pubsub": {"ackDeadlineSeconds": "60"}}), "ackDeadlineSeconds"),
        (
            default_values(cloud={"pubsub": {"messageRetentionDuration": "7d"}}),
            "messageRetentionDuration",
        ),
        (default_values(cloud={"bigquery": {"datasetId": "ecommerce-dw"}}), "datasetId"),
        (default_values(operator={"watchNamespaces": ["Team_A"]}), "watchNamespaces"),
        (default_values(operator={"replicas": 2}), "replicas"),
        (default_values(cloud={"serviceAccount": {"roles": ["pubsub.publisher"]}}), "roles"),
    ],
    ids=[
        "ack-too-short",
        "ack-as-string",
        "retention-unit",
        "dataset-hyphen",
        "namespace",
        "two-operators",
        "role-format",
    ],
)
def test_out_of_range_value_is_refused_naming_it(
    helm: Path, values: dict[str, Any], where: str
) -> None:
    assert where in _refusal(helm, values)


@pytest.mark.parametrize("component", ["operator", "generator"])
def test_latest_image_tag_is_refused(helm: Path, component: str) -> None:
    values = default_values(**{component: {"image": {"repository": "eventgen", "tag": "latest"}}})
    message = _refusal(helm, values)
    assert f'{component}.image.tag must be a version such as 0.1.0, not "latest"' in message


def test_every_value_is_in_the_docs_values_table() -> None:
    values = yaml.safe_load((CHART_DIR / "values.yaml").read_text())
    docs = (CHART_DIR.parents[1] / "docs" / "chart.md").read_text()

    def leaves(node: Any, prefix: str) -> list[str]:
        if isinstance(node, dict) and node and not prefix.endswith("resources."):
            return [leaf for key, sub in node.items() for leaf in leaves(sub, f"{prefix}{key}.")]
        return [prefix.rstrip(".")]

    missing = [key for key in leaves(values, "") if f"| `{key}` |" not in docs]
    assert missing == []
