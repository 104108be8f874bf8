"""Server processes that can never outlive the test run that started them.

Each server runs in its own process group (so a stop reaches anything it forks) and asks
the kernel to SIGKILL it when its parent dies (``PR_SET_PDEATHSIG``), which covers the
cases ``atexit`` cannot: pytest killed with SIGKILL, or crashing. The kernel ties that to
the *thread* that started the server, so start servers from a thread that lives as long as
they should (pytest's main thread does; a short-lived worker thread would not).
"""

from __future__ import annotations

import contextlib
import ctypes
import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Sequence
from pathlib import Path
from typing import IO

_PR_SET_PDEATHSIG = 1


def free_port() -> int:
    """A TCP port on 127.0.0.1 that was free a moment ago (the caller retries on a race)."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


def _die_with_parent() -> None:
    """Runs in the child between fork and exec: SIGKILL me when my parent thread exits."""
    if sys.platform.startswith("linux"):
        libc = ctypes.CDLL(None, use_errno=True)
        libc.prctl(_PR_SET_PDEATHSIG, signal.SIGKILL, 0, 0, 0)


class ManagedProcess:
    """One server program with its output in a log file; ``stop()`` always ends it."""

    def __init__(self, name: str, argv: Sequence[str], log_path: Path) -> None:
        self.name = name
        self.argv = list(argv)
        self.log_path = log_path
        self._log: IO[bytes] = log_path.open("wb")
        self._process = subprocess.Popen(
            self.argv,
            stdin=subprocess.DEVNULL,
            stdout=self._log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
            preexec_fn=_die_with_parent,
        )

    @property
    def pid(self) -> int:
        """The server's process id (also its process group id)."""
        return self._process.pid

    def running(self) -> bool:
        """Whether the server has not exited yet."""
        return self._process.poll() is None

    def log_tail(self, lines: int = 15) -> str:
        """The last ``lines`` lines of the server's output, for error messages."""
        try:
            text = self.log_path.read_text(errors="replace")
        except OSError:
            return ""
        return "\n".join(text.splitlines()[-lines:])

    def stop(self, grace: float) -> None:
        """SIGTERM the process group, then SIGKILL it if it is alive after ``grace`` seconds."""
        try:
            if self.running():
                self._signal_group(signal.SIGTERM)
                with contextlib.suppress(subprocess.TimeoutExpired):
                    self._process.wait(timeout=grace)
            # Also when the leader already exited: children it forked may linger.
            self._signal_group(signal.SIGKILL)
            self._process.wait(timeout=10)
        finally:
            self._log.close()

    def _signal_group(self, signum: int) -> None:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(self._process.pid, signum)


def stop_all(processes: Sequence[ManagedProcess], grace: float) -> None:
    """Stop ``processes`` in order; one failing to stop does not keep the others alive."""
    errors: list[BaseException] = []
    for process in processes:
        try:
            process.stop(grace)
        except Exception as error:  # keep stopping the rest; re-raised below
            errors.append(error)
    if errors:
        raise errors[0]


def wait_until_listening(process: ManagedProcess, port: int, timeout: float) -> None:
    """Wait until something accepts TCP connections on 127.0.0.1:``port`` (seconds)."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if not process.running():
            raise RuntimeError(f"{process.name} exited early:\n{process.log_tail()}")
        with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
            sock.settimeout(0.5)
            if sock.connect_ex(("127.0.0.1", port)) == 0:
                return
        time.sleep(0.1)
    raise TimeoutError(f"{process.name} did not listen on port {port} within {timeout:g} s")
