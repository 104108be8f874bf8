"""Fixtures of the chart tests: the helm binary, renders of the chart, and (on the control
plane) the Config Connector CRDs and the flags helm needs for the server it talks to."""

from __future__ import annotations

import json
import re
import secrets
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.support.controlplane import ControlPlane
from tests.support.helm_chart import (
    KCC_CRDS_ENV,
    Rendered,
    default_values,
    install_kcc_crds,
    kcc_crd_files,
    kcc_crds_dir,
    render,
)
from tests.support.tools import Tools


@pytest.fixture(scope="session")
def helm(tools: Tools) -> Path:
    """The helm v4 binary (the test skips when scripts/install-tools.sh has not run)."""
    return tools.helm


@pytest.fixture(scope="session")
def defaults(helm: Path) -> Rendered:
    """The chart rendered with nothing but a project ID, as most users install it."""
    return render(helm, default_values())


@pytest.fixture(scope="module")
def kcc_crds(control_plane: ControlPlane) -> list[str]:
    """Install the Config Connector CRDs (once per session) and return their names."""
    files = kcc_crd_files()
    if not files:
        pytest.skip(f"Config Connector CRDs not found in {kcc_crds_dir()}; set {KCC_CRDS_ENV}")
    return install_kcc_crds(control_plane, files)


@pytest.fixture
def release(control_plane: ControlPlane, namespace: str) -> Iterator[str]:
    """A release name unique to the test (its ClusterRoles are cluster-wide), installed by the
    test into ``namespace``; uninstalled afterwards if the test did not get that far."""
    name = f"platform-{secrets.token_hex(3)}"
    yield name
    control_plane.helm(
        "uninstall", "--no-hooks", name, "--ignore-not-found", "--namespace", namespace
    )


@pytest.fixture(scope="module")
def helm_apply_flags(control_plane: ControlPlane) -> list[str]:
    """Flags for helm install/upgrade on this server.

    Helm 4 applies server-side; an API server older than 1.25 rejects the CRD's
    ``x-kubernetes-validations`` there ("field not declared in schema"), while a client-side
    apply lets it drop them (the operator checks the same rules itself).

    The session's releases share one cluster-wide CRD, which the chart renders as a template:
    each release takes it over from the one before (``--take-ownership``).
    """
    version = json.loads(control_plane.kubectl("version", "-o", "json").stdout)
    minor = int(re.sub(r"\D.*", "", version["serverVersion"]["minor"]))
    return ["--take-ownership"] + (["--server-side=false"] if minor < 25 else [])
