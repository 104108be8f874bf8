"""Fixtures of the chart tests: the helm binary and renders of the chart."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.support.helm_chart import Rendered, default_values, render
from tests.support.tools import Tools


@pytest.fixture(scope="session")
def helm(tools: Tools) -> Path:
    """The helm v4 binary (the test skips when scripts/install-tools.sh has not run)."""
    return tools.helm


@pytest.fixture(scope="session")
def defaults(helm: Path) -> Rendered:
    """The chart rendered with nothing but a project ID, as most users install it."""
    return render(helm, default_values())
