"""A sink that keeps what it is given, in memory: the stand-in at the runtime's I/O boundary.

Shipped with the code (like httpx's ``MockTransport``) so tests and benchmarks drive the real
loops of :mod:`eventgen.runtime.runner` without files, networks or hand-written fakes. It
honours the :class:`~eventgen.sinks.base.Sink` protocol: events count as delivered when
``write`` returns, ``failed`` counts a write it was told to fail, and a closed sink refuses
more events like a real one.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING

from eventgen.errors import SinkError
from eventgen.sinks.base import DeliveryStats

if TYPE_CHECKING:
    from eventgen.shop.batches import EventBatch


class MemorySink:
    """Keeps every batch written (``keep=False``: counts only, for long runs).

    ``on_write`` sees each batch as it is written (to note the time, or to let a simulated
    clock move as a slow destination would). ``fail_on_write`` makes write number N (from
    1) raise :class:`~eventgen.errors.SinkError`, its events counted as failed.
    """

    location = "memory"

    def __init__(
        self,
        *,
        on_write: Callable[[EventBatch], None] | None = None,
        fail_on_write: int | None = None,
        keep: bool = True,
    ) -> None:
        self._stats = DeliveryStats()
        self._on_write = on_write
        self._fail_on_write = fail_on_write
        self._keep = keep
        self.batches: list[EventBatch] = []
        self.writes = 0
        self.flushes = 0
        self.closed = False

    @property
    def stats(self) -> DeliveryStats:
        """Events accepted (delivered) and refused (failed)."""
        return self._stats

    @property
    def payloads(self) -> list[bytes]:
        """Every event kept, in the order written."""
        return [payload for batch in self.batches for payload in batch.payloads]

    def write(self, batch: EventBatch) -> None:
        """Keep the batch; it counts as delivered at once."""
        self.writes += 1
        if self.closed:
            self._stats.add_failed(len(batch))
            raise SinkError("memory sink: write after close")
        if self.writes == self._fail_on_write:
            self._stats.add_failed(len(batch))
            raise SinkError(f"memory sink: write {self.writes} failed as asked")
        if self._on_write is not None:
            self._on_write(batch)
        if self._keep:
            self.batches.append(batch)
        # Bytes as a JSONL sink would write them: each payload and its newline.
        self._stats.add_delivered(len(batch), sum(map(len, batch.payloads)) + len(batch))

    def flush(self, timeout: float | None = None) -> None:
        """Nothing is held back: every write is delivered already."""
        self.flushes += 1

    def close(self) -> None:
        """Refuse later writes; idempotent."""
        self.closed = True
