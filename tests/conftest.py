"""Fixtures shared by every suite. Append new fixtures below; keep this file small.

Control plane (see docs/testing.md):
- ``control_plane`` (session): a running ``tests.support.controlplane.ControlPlane``; skips
  with the reason when no source of one exists on this machine.
- ``tools`` (session): ``tests.support.tools.Tools`` with the helm and kubectl paths; skips
  when scripts/install-tools.sh has not installed them.
- ``namespace`` (function): a fresh namespace in ``control_plane``, deleted afterwards.
Tests using ``control_plane`` are marked ``controlplane`` automatically
(``pytest -m "not controlplane"`` leaves them out).
"""

from __future__ import annotations

import re
import secrets
from collections.abc import Iterator

import pytest

from tests.support.controlplane import ControlPlane
from tests.support.sources import ControlPlaneUnavailable
from tests.support.tools import Tools, find_tools, missing_tools_reason


@pytest.fixture(scope="session")
def tools() -> Tools:
    """Paths of the helm (v4) and kubectl (v1.35) binaries."""
    found = find_tools()
    if found is None:
        pytest.skip(missing_tools_reason())
    return found


@pytest.fixture(scope="session")
def control_plane() -> Iterator[ControlPlane]:
    """One real Kubernetes control plane for the whole test session."""
    try:
        plane = ControlPlane.start()
    except ControlPlaneUnavailable as reason:
        pytest.skip(str(reason))
    try:
        yield plane
    finally:
        plane.stop()


@pytest.fixture
def namespace(control_plane: ControlPlane, request: pytest.FixtureRequest) -> Iterator[str]:
    """A new namespace named after the test (unique per test), deleted after it."""
    slug = re.sub(r"[^a-z0-9]+", "-", request.node.name.lower()).strip("-")[:40].strip("-")
    name = f"{slug or 'test'}-{secrets.token_hex(3)}"
    control_plane.create_namespace(name)
    yield name
    control_plane.delete_namespace(name)


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Mark every test that uses the control plane, so ``-m`` can select or skip them."""
    for item in items:
        if "control_plane" in getattr(item, "fixturenames", ()):
            item.add_marker(pytest.mark.controlplane)
