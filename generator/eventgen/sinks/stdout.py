"""Standard output: one JSON object per line, flushed after every batch."""

from __future__ import annotations

import sys
from typing import TYPE_CHECKING, BinaryIO

from eventgen.errors import SinkError
from eventgen.sinks.base import DeliveryStats

if TYPE_CHECKING:
    from eventgen.shop.batches import EventBatch


class StdoutSink:
    """Writes each batch as JSONL to a binary stream (default: the process's stdout).

    Events count as delivered once the stream has accepted and flushed them; a closed pipe
    (the reader went away) is unrecoverable.
    """

    location = "stdout"

    def __init__(self, stream: BinaryIO | None = None) -> None:
        self._stream = stream if stream is not None else sys.stdout.buffer
        self._stats = DeliveryStats()

    @property
    def stats(self) -> DeliveryStats:
        """Events written and flushed to the stream."""
        return self._stats

    def write(self, batch: EventBatch) -> None:
        """Write and flush the batch (the flush keeps pipes live at low rates)."""
        data = batch.jsonl()
        try:
            self._stream.write(data)
            self._stream.flush()
        except (BrokenPipeError, ValueError) as error:
            self._stats.add_failed(len(batch))
            raise SinkError(f"stdout closed by the reader ({error})") from None
        self._stats.add_delivered(len(batch), len(data))

    def flush(self, timeout: float | None = None) -> None:
        """Nothing is held back: every write is flushed already."""

    def close(self) -> None:
        """Leave stdout open: it belongs to the process."""
