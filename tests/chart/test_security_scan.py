"""checkov finds nothing in the rendered chart or the Dockerfile beyond the reasoned skips.

checkov lives in its own virtualenv (scripts/install-scanner.sh), because its pinned
dependencies clash with the project's; the test skips, saying so, when it is not installed.
"""

from __future__ import annotations

import json
import os
import subprocess
from pathlib import Path
from typing import Any

import pytest
import yaml

from tests.chart.matrix import VALUE_MATRIX
from tests.support.checkov import checkov_program
from tests.support.helm_chart import CHART_DIR, REPO_ROOT, render_text

SKIPS_FILE = CHART_DIR / ".checkov.yaml"
SCANNED_CASES = ["defaults", "watched-namespaces", "dead-letter-on", "sample-on"]


@pytest.fixture(scope="module")
def checkov() -> Path:
    """The checkov program installed by scripts/install-scanner.sh."""
    return checkov_program()


@pytest.fixture(scope="module")
def skips() -> dict[str, dict[str, str]]:
    """The accepted failures per framework, check ID -> reason."""
    loaded: dict[str, dict[str, str]] = yaml.safe_load(SKIPS_FILE.read_text())
    return loaded


def _failed_checks(checkov: Path, framework: str, target: list[str]) -> dict[str, list[str]]:
    """Run checkov offline; return failed check ID -> the resources it failed for."""
    env = dict(os.environ, BC_SKIP_MAPPING="TRUE", CHECKOV_RUN_SCA_PACKAGE_SCAN_V2="false")
    result = subprocess.run(
        [str(checkov), *target, "--framework", framework, "--output", "json", "--quiet",
         "--skip-download", "--compact"],
        capture_output=True, text=True, timeout=300, check=False, env=env,
    )  # fmt: skip
    # Exit status 1 means "some check failed"; anything else is checkov itself failing.
    assert result.returncode in (0, 1), result.stderr[-2000:]
    report: Any = json.loads(result.stdout)
    reports = report if isinstance(report, list) else [report]
    failed: dict[str, list[str]] = {}
    for one in reports:
        assert one.get("summary", {}).get("parsing_errors", 0) == 0, one["summary"]
        for check in one.get("results", {}).get("failed_checks", []):
            failed.setdefault(check["check_id"], []).append(check["resource"])
    return failed


def test_every_skip_has_a_written_reason(skips: dict[str, dict[str, str]]) -> None:
    assert set(skips) == {"kubernetes", "dockerfile"}
    for checks in skips.values():
        for check_id, reason in checks.items():
            assert check_id.startswith("CKV"), check_id
            assert isinstance(reason, str) and len(reason.split()) >= 8, check_id


def test_rendered_chart_has_no_unaccepted_findings(
    checkov: Path, skips: dict[str, dict[str, str]], helm: Path, tmp_path: Path
) -> None:
    for case in SCANNED_CASES:
        (tmp_path / f"{case}.yaml").write_text(render_text(helm, VALUE_MATRIX[case]))
    failed = _failed_checks(checkov, "kubernetes", ["--directory", str(tmp_path)])
    unaccepted = {k: v for k, v in failed.items() if k not in skips["kubernetes"]}
    assert unaccepted == {}


def test_dockerfile_has_no_unaccepted_findings(
    checkov: Path, skips: dict[str, dict[str, str]]
) -> None:
    dockerfile = REPO_ROOT / "Dockerfile"
    assert dockerfile.is_file(), "the project's Dockerfile is missing"
    failed = _failed_checks(checkov, "dockerfile", ["--file", str(dockerfile)])
    unaccepted = {k: v for k, v in failed.items() if k not in skips["dockerfile"]}
    assert unaccepted == {}


def test_scanner_reports_a_planted_finding(checkov: Path, tmp_path: Path) -> None:
    # Guards the guard: a privileged root container must come back as failed checks.
    pod = {
        "apiVersion": "v1",
        "kind": "Pod",
        "metadata": {"name": "bad", "namespace": "eventgen"},
        "spec": {
            "containers": [
                {"name": "c", "image": "busybox", "securityContext": {"privileged": True}}
            ]
        },
    }
    (tmp_path / "bad.yaml").write_text(yaml.safe_dump(pod))
    failed = _failed_checks(checkov, "kubernetes", ["--directory", str(tmp_path)])
    assert "CKV_K8S_16" in failed  # "Container should not be privileged"
