"""The kind end-to-end suite (tests/e2e/run.sh) as a pytest test, marked e2e.

Skips, with the reason, when a piece it needs is absent: kind, helm/kubectl, or a working
Docker engine (a docker client alone is not enough: `docker info` must succeed). Has not run
in CI; see docs/e2e.md.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from tests.support.tools import find_tools

RUN_SH = Path(__file__).resolve().parent / "run.sh"
SUITE_TIMEOUT = 45 * 60  # seconds: image builds, an emulator pull, and five checks


def missing_prerequisite() -> str | None:
    """Why the suite cannot run here, or None when it can."""
    if shutil.which("docker") is None:
        return "docker is not installed"
    try:
        info = subprocess.run(
            ["docker", "info"], capture_output=True, text=True, timeout=30, check=False
        )
    except subprocess.TimeoutExpired:
        return "docker info did not answer within 30 s"
    if info.returncode != 0:
        detail = (info.stderr.strip().splitlines() or ["no output"])[-1]
        return f"no working Docker engine (docker info: {detail})"
    if shutil.which("kind") is None:
        return "kind is not installed (https://kind.sigs.k8s.io)"
    if find_tools() is None and (shutil.which("helm") is None or shutil.which("kubectl") is None):
        return "helm/kubectl not found (run scripts/install-tools.sh)"
    return None


@pytest.mark.e2e
@pytest.mark.slow
@pytest.mark.timeout(SUITE_TIMEOUT + 60)
def test_kind_end_to_end() -> None:
    reason = missing_prerequisite()
    if reason is not None:
        pytest.skip(reason)
    done = subprocess.run(
        [str(RUN_SH)],
        env={**os.environ, "PYTHON": sys.executable},
        capture_output=True,
        text=True,
        timeout=SUITE_TIMEOUT,
        check=False,
    )
    output = (done.stdout[-6000:] + "\n" + done.stderr[-6000:]).strip()
    assert done.returncode == 0, f"tests/e2e/run.sh failed ({done.returncode}):\n{output}"
    assert "PASS: all end-to-end checks held" in done.stdout, output
