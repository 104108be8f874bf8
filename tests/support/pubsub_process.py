"""The local Pub/Sub server in a separate process, with its fault knobs reachable from here.

Benchmarks need the server off the publishing process's GIL, and tests of a CLI subprocess
may want it elsewhere too. :class:`PubSubProcess` starts ``python -m
tests.support.pubsub_server --port 0``, learns the port from its first line, and drives the
faults through the server's JSON control method.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path
from typing import Any

import grpc

from tests.support.pubsub_server import CONTROL_METHOD

REPO_ROOT = Path(__file__).resolve().parents[2]


class PubSubProcess:
    """A running ``tests.support.pubsub_server`` process; a context manager."""

    def __init__(self, host: str = "127.0.0.1") -> None:
        self._process = subprocess.Popen(
            [sys.executable, "-m", "tests.support.pubsub_server", "--host", host, "--port", "0"],
            cwd=REPO_ROOT,
            stdout=subprocess.PIPE,
            text=True,
        )
        assert self._process.stdout is not None
        line = self._process.stdout.readline().strip()
        if not line.startswith("listening on "):
            self._process.kill()
            raise RuntimeError(f"local Pub/Sub server did not start (said {line!r})")
        self.address = line.removeprefix("listening on ")
        self.pid = self._process.pid
        self._channel = grpc.insecure_channel(self.address)
        self._control = self._channel.unary_unary(CONTROL_METHOD)

    def _send(self, command: dict[str, Any]) -> dict[str, int]:
        reply: bytes = self._control(json.dumps(command).encode(), timeout=10)
        result: dict[str, int] = json.loads(reply)
        return result

    def fail_unavailable(self, seconds: float) -> None:
        """Answer every call with UNAVAILABLE for the next ``seconds`` seconds."""
        self._send({"unavailable": seconds})

    def stall(self, seconds: float) -> None:
        """Hold every call unanswered for the next ``seconds`` seconds."""
        self._send({"stall": seconds})

    def deny_call(self, number: int) -> None:
        """Answer the ``number``-th call from now (1 is the next) with PERMISSION_DENIED."""
        self._send({"deny": number})

    def clear_faults(self) -> None:
        """End any fault window now."""
        self._send({"clear": True})

    def stats(self) -> dict[str, int]:
        """Counts: ``published`` messages, ``refused_calls``, ``stalled_calls``."""
        return self._send({})

    def stop(self) -> None:
        """SIGTERM the server, SIGKILL it if it lingers."""
        self._channel.close()
        if self._process.poll() is None:
            self._process.terminate()
            try:
                self._process.wait(10)
            except subprocess.TimeoutExpired:
                self._process.kill()
                self._process.wait()
        if self._process.stdout is not None:
            self._process.stdout.close()

    def __enter__(self) -> PubSubProcess:
        return self

    def __exit__(self, *_: object) -> None:
        self.stop()
