"""Fixtures of the audit tests."""

from __future__ import annotations

import os

import pytest


@pytest.fixture(autouse=True)
def no_eventgen_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    """The audits and generator runs here read their options from their arguments only: an
    ``EVENTGEN_*`` variable of the developer's shell would change what they do."""
    for name in list(os.environ):
        if name.startswith("EVENTGEN_"):
            monkeypatch.delenv(name)
