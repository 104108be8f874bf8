"""Stopping on SIGTERM/SIGINT: a flag the loops check, set by the signal handlers.

Kept apart from the loops (and free of heavy imports) because the handlers must be in
place from the first moment of a run: ``eventgen.cli.main.main`` installs them before it
imports the generator, the cloud clients or the sinks, which takes a second or more. A
signal that arrives during that time then ends the run cleanly with its summary, instead
of killing it (SIGTERM, exit 143) or raising a traceback (SIGINT).
"""

from __future__ import annotations

import signal
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from types import FrameType


class StopFlag:
    """Set by SIGTERM/SIGINT (or by code); the loops stop at the next batch boundary."""

    def __init__(self) -> None:
        self.event = threading.Event()
        self.signal_name: str | None = None

    def is_set(self) -> bool:
        """True once a stop was requested."""
        return self.event.is_set()

    def set(self, reason: str = "requested") -> None:
        """Request a stop."""
        self.signal_name = self.signal_name or reason
        self.event.set()


@contextmanager
def stop_on_signals(flag: StopFlag) -> Iterator[None]:
    """Route SIGTERM and SIGINT to ``flag`` while the block runs (main thread only)."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return
    previous = {sig: signal.getsignal(sig) for sig in (signal.SIGTERM, signal.SIGINT)}

    def handle(signum: int, _frame: FrameType | None) -> None:
        flag.set(signal.Signals(signum).name)
        # A second signal gets the default behaviour (terminate / KeyboardInterrupt).
        for sig, handler in previous.items():
            signal.signal(sig, handler)

    for sig in previous:
        signal.signal(sig, handle)
    try:
        yield
    finally:
        for sig, handler in previous.items():
            signal.signal(sig, handler)
