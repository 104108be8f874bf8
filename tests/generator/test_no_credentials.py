"""A cloud sink without Google credentials: one line saying so, exit 2, nothing generated.

The client libraries raise DefaultCredentialsError from their constructors, which used to
end the process with a 40-line traceback.
"""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

import pytest

from tests.support.cli_process import eventgen_command


def without_credentials(home: Path) -> dict[str, str]:
    """An environment in which Application Default Credentials find nothing, quickly."""
    hidden = {
        "GOOGLE_APPLICATION_CREDENTIALS",
        "PUBSUB_EMULATOR_HOST",
        "STORAGE_EMULATOR_HOST",
        "GOOGLE_CLOUD_PROJECT",
    }
    env = {
        key: value
        for key, value in os.environ.items()
        if key not in hidden and not key.startswith("EVENTGEN_")
    }
    env.update(
        HOME=str(home),
        CLOUDSDK_CONFIG=str(home / "gcloud"),
        # No metadata server here; without this google.auth probes for one for seconds.
        NO_GCE_CHECK="true",
        EVENTGEN_METRICS_PORT="0",
    )
    return env


@pytest.mark.parametrize(
    ("args", "service"),
    [
        (["stream", "--sink", "pubsub", "--pubsub-project", "p", "--pubsub-topic", "t"], "Pub/Sub"),
        (["batch", "--events", "10", "--sink", "gcs", "--gcs-bucket", "b"], "Cloud Storage"),
    ],
    ids=["pubsub", "gcs"],
)
def test_a_cloud_sink_without_credentials_is_one_line_and_exit_2(
    args: list[str], service: str, tmp_path: Path
) -> None:
    result = subprocess.run(
        eventgen_command(*args),
        env=without_credentials(tmp_path),
        cwd=tmp_path,
        capture_output=True,
        timeout=120,
    )
    lines = result.stderr.decode().splitlines()
    assert result.returncode == 2, lines
    assert len(lines) == 1, lines
    assert lines[0].startswith(f"eventgen: error: {service}: no Google credentials found")
    assert "GOOGLE_APPLICATION_CREDENTIALS" in lines[0]
    assert result.stdout == b""
    assert list(tmp_path.iterdir()) == []
