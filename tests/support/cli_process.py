"""Running the real ``eventgen`` command as a subprocess, and reading what it reports."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING

from tests.support.waiting import wait_for

if TYPE_CHECKING:
    from tests.support.pubsub_server import PubSubServer

SUMMARY = re.compile(r"^eventgen: (stream|batch) summary: (.*)$", re.MULTILINE)


def eventgen_command(*args: str) -> list[str]:
    """argv that runs the CLI with this interpreter (the venv's), as ``eventgen`` would."""
    return [sys.executable, "-m", "eventgen.cli", *args]


def clean_env(extra: Mapping[str, str] | None = None) -> dict[str, str]:
    """The current environment without any EVENTGEN_* or JOB_COMPLETION_INDEX, plus ``extra``.

    Metrics default to off so parallel test processes never fight over port 9102.
    """
    env = {
        key: value
        for key, value in os.environ.items()
        if not key.startswith("EVENTGEN_") and key != "JOB_COMPLETION_INDEX"
    }
    env["EVENTGEN_METRICS_PORT"] = "0"
    env.update(extra or {})
    return env


def run_eventgen(
    args: Sequence[str], env: Mapping[str, str] | None = None, cwd: Path | None = None
) -> subprocess.CompletedProcess[bytes]:
    """Run ``eventgen ARGS`` to completion and capture its output (bytes)."""
    return subprocess.run(
        eventgen_command(*args), env=clean_env(env), cwd=cwd, capture_output=True, timeout=300
    )


def summary(stderr: bytes | str) -> dict[str, str]:
    """The ``key=value`` fields of the summary line a run printed on stderr."""
    text = stderr.decode() if isinstance(stderr, bytes) else stderr
    match = SUMMARY.search(text)
    assert match, f"no summary line in stderr:\n{text}"
    return dict(field.split("=", 1) for field in match.group(2).split())


@contextmanager
def publishing(
    server: PubSubServer, command: Sequence[str], *, published: int
) -> Iterator[subprocess.Popen[bytes]]:
    """``command`` running against the local Pub/Sub ``server`` (stderr piped), handed over
    once ``published`` events reached it; killed if the block leaves it running."""
    process = subprocess.Popen(
        list(command),
        env=clean_env({"PUBSUB_EMULATOR_HOST": server.address}),
        stderr=subprocess.PIPE,
    )
    try:
        wait_for(
            lambda: server.stats()["published"] >= published, 60, f"{published} events published"
        )
        yield process
    finally:
        if process.poll() is None:
            process.kill()
            process.communicate()
