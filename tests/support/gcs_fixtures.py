"""pytest fixtures for tests that read or write the local Cloud Storage emulator.

Load them in a test module with ``pytest_plugins = ["tests.support.gcs_fixtures"]``.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from tests.support.gcs_emulator import GcsEmulator, running_gcs_emulator


@pytest.fixture(scope="module")
def gcs_emulator() -> Iterator[GcsEmulator]:
    """One emulator per test module (wipe it between tests with ``wipe()``)."""
    with running_gcs_emulator() as running:
        yield running
