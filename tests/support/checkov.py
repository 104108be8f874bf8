"""Where the security scanner lives: checkov in its own venv, put there by
scripts/install-scanner.sh (its pins clash with the project's, so it is not in .venv)."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from tests.support.tools import cache_dir

CHECKOV_VERSION = "3.3.30"  # keep in step with scripts/install-scanner.sh


def checkov_program() -> Path:
    """The checkov executable; skips the calling test with the reason when it is absent."""
    program = cache_dir() / f"checkov-{CHECKOV_VERSION}" / "bin" / "checkov"
    if not os.access(program, os.X_OK):
        pytest.skip(f"checkov not found at {program}; run scripts/install-scanner.sh")
    return program
