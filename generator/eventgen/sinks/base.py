"""The contract between the runtime and every sink.

A sink receives :class:`~eventgen.shop.batches.EventBatch` objects from the runtime's single
generating thread. ``write`` may block to apply back-pressure (a sink never buffers without
bound); ``flush`` delivers everything written so far; ``close`` releases resources after a
final flush. Delivery counts live in a :class:`DeliveryStats` that sinks update from any
thread (publish callbacks run on client threads), hence the lock.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Protocol, runtime_checkable

from eventgen.errors import ConfigError

if TYPE_CHECKING:
    from eventgen.shop.batches import EventBatch


@dataclass
class DeliveryStats:
    """Counts of events (not batches, not bytes of protocol overhead) a sink has handled.

    ``delivered``: events acknowledged by the destination (a published message, a line in a
    completed file or object). ``failed``: events the sink gave up on. ``bytes_written``:
    payload bytes delivered, newline separators included for line-oriented sinks.
    Thread-safe: use :meth:`add_delivered` / :meth:`add_failed` from callbacks.
    """

    delivered: int = 0
    failed: int = 0
    bytes_written: int = 0
    _lock: threading.Lock = field(default_factory=threading.Lock, repr=False, compare=False)

    def add_delivered(self, events: int, payload_bytes: int = 0) -> None:
        """Record ``events`` delivered events carrying ``payload_bytes`` bytes."""
        with self._lock:
            self.delivered += events
            self.bytes_written += payload_bytes

    def add_failed(self, events: int) -> None:
        """Record ``events`` events the sink could not deliver and gave up on."""
        with self._lock:
            self.failed += events

    def snapshot(self) -> tuple[int, int, int]:
        """Return a consistent ``(delivered, failed, bytes_written)`` triple."""
        with self._lock:
            return self.delivered, self.failed, self.bytes_written


@runtime_checkable
class Sink(Protocol):
    """Destination of event batches (see docs/CONTRACTS.md, "Runtime -> sinks")."""

    @property
    def stats(self) -> DeliveryStats:
        """Live delivery counts; updated as events are confirmed delivered."""
        ...

    def write(self, batch: EventBatch) -> None:
        """Accept one batch; may block for back-pressure.

        Raises :class:`eventgen.errors.SinkError` when delivery can never succeed.
        """
        ...

    def flush(self, timeout: float | None = None) -> None:
        """Deliver everything written so far, waiting at most ``timeout`` seconds (None: no limit).

        Raises :class:`eventgen.errors.SinkError` if events could not be delivered.
        """
        ...

    def close(self) -> None:
        """Flush and release resources (files, clients, threads). Idempotent."""
        ...


def no_credentials(service: str, error: Exception) -> ConfigError:
    """The one-line error for a cloud sink without Application Default Credentials.

    The client library's own exception would end the process with a traceback; this is
    found before anything is generated, so it is bad input (exit 2) with the ways out.
    """
    detail = " ".join(str(error).split())
    return ConfigError(
        f"{service}: no Google credentials found (set GOOGLE_APPLICATION_CREDENTIALS, run "
        "`gcloud auth application-default login`, or use Workload Identity in a pod; "
        f"an emulator needs its *_EMULATOR_HOST variable): {detail}"
    )
