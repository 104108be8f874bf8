"""checkov, an independent scanner, finds the generator pods locked down.

The rendered Deployment and Job are scanned with checkov's Kubernetes checks (the same
install as the chart's scan, scripts/install-scanner.sh); the test skips, saying so, when
it is not installed. The pod-security checks must all pass; the API-token check fails only
for the Deployment, whose live-rate watch needs the token. Checks about what the user or
the operator's configuration decides (resources, image digest, pull policy) are not ours.
"""

from __future__ import annotations

import json
import os
import subprocess
from pathlib import Path
from typing import Any

import pytest
import yaml

from eventgen_operator.children import build_deployment, build_job
from tests.operator.builders import OWNER, batch, streaming
from tests.operator.test_children import CONFIG
from tests.support.checkov import checkov_program

POD_SECURITY_CHECKS = {
    "CKV_K8S_20": "containers do not allow privilege escalation",
    "CKV_K8S_22": "read-only root filesystem",
    "CKV_K8S_23": "no root containers",
    "CKV_K8S_28": "no NET_RAW capability",
    "CKV_K8S_29": "pod securityContext applied",
    "CKV_K8S_30": "container securityContext applied",
    "CKV_K8S_31": "seccomp RuntimeDefault",
    "CKV_K8S_37": "capabilities minimised",
    "CKV_K8S_40": "a high UID",
}
TOKEN_CHECK = "CKV_K8S_38"  # service account tokens only where necessary


@pytest.fixture(scope="module")
def checkov() -> Path:
    return checkov_program()


def scan(checkov: Path, folder: Path, manifests: list[dict[str, Any]]) -> dict[str, list[str]]:
    """checkov's results for `manifests`: check ID -> resources, for failed and passed."""
    (folder / "generators.yaml").write_text(yaml.safe_dump_all(manifests))
    env = dict(os.environ, BC_SKIP_MAPPING="TRUE", CHECKOV_RUN_SCA_PACKAGE_SCAN_V2="false")
    result = subprocess.run(
        [str(checkov), "-d", str(folder), "--framework", "kubernetes", "--output", "json",
         "--skip-download", "--compact"],  # not --quiet: it drops the passed checks
        capture_output=True, text=True, timeout=300, check=False, env=env,
    )  # fmt: skip
    assert result.returncode in (0, 1), result.stderr[-2000:]
    report: Any = json.loads(result.stdout)
    results = report["results"]
    outcome: dict[str, list[str]] = {}
    for kind in ("failed_checks", "passed_checks"):
        for check in results.get(kind, []):
            key = f"{check['check_id']}:{kind.split('_')[0]}"
            outcome.setdefault(key, []).append(check["resource"].split(".")[0])
    return outcome


def test_generator_pods_pass_every_pod_security_check(checkov: Path, tmp_path: Path) -> None:
    manifests = [
        build_deployment(streaming(), OWNER, CONFIG),
        build_job(batch(sink={"type": "jsonl-local"}), OWNER, CONFIG),
    ]
    outcome = scan(checkov, tmp_path, manifests)
    for check, meaning in POD_SECURITY_CHECKS.items():
        assert f"{check}:failed" not in outcome, (
            f"{check} ({meaning}): {outcome[check + ':failed']}"
        )
        assert sorted(outcome.get(f"{check}:passed", [])) == ["Deployment", "Job"], check
    assert outcome.get(f"{TOKEN_CHECK}:failed") == ["Deployment"]
    assert outcome.get(f"{TOKEN_CHECK}:passed") == ["Job"]
