"""Sinks that write events as JSONL "parts" (files or objects) rotated by size and age.

A part becomes visible only when it is complete: a file is renamed from ``*.tmp`` into
place, an object is uploaded in one request. So a reader (or a BigQuery load job) never
sees half a part, and a killed process never leaves a damaged one. Events count as
delivered when their part is complete. Part names are deterministic, so rerunning a batch
shard overwrites its parts instead of adding duplicates.
"""

from __future__ import annotations

import io
import itertools
import time
from abc import ABC, abstractmethod
from bisect import bisect_right
from collections.abc import Callable
from typing import TYPE_CHECKING, BinaryIO, cast

from isal import igzip

from eventgen.errors import SinkError
from eventgen.sinks.base import DeliveryStats

if TYPE_CHECKING:
    from eventgen.shop.batches import EventBatch

GZIP_LEVEL = 2
"""ISA-L's level 2 (python-isal's ``igzip``), measured on event JSON on this project's
machines: ~1,000 MB/s at 5.5x, against zlib's level 3 at ~200 MB/s and 5.7x (zlib's
default level 6: ~105 MB/s, 7.1x). With zlib, deflate bounded a gzip batch at 0.4 of
generation speed; ISA-L writes the same standard gzip format (RFC 1952, one member) that
``gzip -d``, BigQuery and Python's own gzip read, a little larger (bench ``runtime_batch``)."""


def part_name(generator_id: str, index: int, *, compressed: bool) -> str:
    """File/object name of part ``index``: ``<generator_id>-part-00000.jsonl[.gz]``.

    A stream's generator_id ends in its run id (``pod.20261126T120000Z``, see
    :mod:`eventgen.runtime.runs`), so a restarted stream never overwrites the parts of its previous
    run; a batch shard's has none, so a rerun overwrites its own parts on purpose.
    """
    return f"{generator_id}-part-{index:05d}.jsonl" + (".gz" if compressed else "")


def open_encoder(raw: BinaryIO, compressed: bool) -> BinaryIO:
    """Wrap ``raw`` in a gzip writer when ``compressed``; mtime 0 keeps reruns byte-identical."""
    if not compressed:
        return raw
    writer = igzip.IGzipFile(  # type: ignore[no-untyped-call]
        fileobj=raw, mode="wb", compresslevel=GZIP_LEVEL, mtime=0
    )
    return cast(BinaryIO, writer)


class RollingSink(ABC):
    """Splits batches into parts at line boundaries; subclasses store the parts.

    ``rotate_bytes``: start a new part once a part holds this many uncompressed bytes (a
    part is never empty, so one oversized event still gets written). ``rotate_seconds``:
    complete a part this many seconds after it was opened (checked on each write).
    None disables either rule. ``clock``: monotonic seconds (injectable for tests).
    """

    def __init__(
        self,
        *,
        compressed: bool,
        rotate_bytes: int | None = None,
        rotate_seconds: float | None = None,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.compressed = compressed
        self._clock = clock
        self._rotate_bytes = rotate_bytes
        self._rotate_seconds = rotate_seconds
        self._stats = DeliveryStats()
        self._next_index = 0
        self._open = False
        self._part_events = 0
        self._part_bytes = 0
        self._part_opened = 0.0
        self._closed = False
        self.completed: list[str] = []
        """Names (paths or object URLs) of the parts completed so far, in order."""

    @property
    def stats(self) -> DeliveryStats:
        """Events delivered: those in completed parts."""
        return self._stats

    @abstractmethod
    def _start_part(self, index: int) -> None:
        """Begin storing part number ``index``."""

    @abstractmethod
    def _append(self, data: bytes) -> None:
        """Add newline-terminated JSONL ``data`` to the open part."""

    @abstractmethod
    def _finish_part(self) -> str:
        """Make the open part complete and visible; return its name."""

    @abstractmethod
    def _abandon_part(self) -> None:
        """Drop the open part after an error (it must stay invisible)."""

    def write(self, batch: EventBatch) -> None:
        """Append the batch's events, completing parts whenever a rotation limit is reached.

        On SinkError, the batch's events that did not reach a part count as failed (those
        in a part count when it completes or is discarded), so nothing goes uncounted.
        """
        payloads = batch.payloads
        start = 0
        try:
            while start < len(payloads):
                start += self._append_lines(payloads, start)
                full = self._rotate_bytes is not None and self._part_bytes >= self._rotate_bytes
                if self._open and full:
                    self._complete()
            if (
                self._open
                and self._rotate_seconds is not None
                and self._clock() - self._part_opened >= self._rotate_seconds
            ):
                self._complete()
        except SinkError:
            self._stats.add_failed(len(payloads) - start)
            raise

    def _append_lines(self, payloads: list[bytes], start: int) -> int:
        """Append as many lines of ``payloads[start:]`` as fit the open part (opening one if
        needed; completing a full one and returning 0 if none fit). Returns lines added."""
        if not self._open:
            self._start_part(self._next_index)
            self._next_index += 1
            self._open = True
            self._part_events = self._part_bytes = 0
            self._part_opened = self._clock()
        rest = payloads[start:] if start else payloads
        # Lines joined without the final newline, which is appended separately: that
        # saves copying the whole chunk once more.
        data = b"\n".join(rest)
        take = len(rest)
        if self._rotate_bytes is not None and self._part_bytes + len(data) + 1 > self._rotate_bytes:
            # Rare (once per part): find how many lines still fit, line by line.
            take = self._lines_that_fit(rest)
            if take == 0:
                self._complete()
                return 0
            data = b"\n".join(rest[:take])
        try:
            self._append(data)
            self._append(b"\n")
        except SinkError:
            # The part may now end in half an event: it must never be completed (renamed
            # into place, uploaded) by a later flush or close.
            self._discard()
            raise
        self._part_events += take
        self._part_bytes += len(data) + 1
        return take

    def _discard(self) -> None:
        """Drop the open part unfinished; its events count as failed."""
        self._open = False
        self._stats.add_failed(self._part_events)
        self._abandon_part()

    def _lines_that_fit(self, payloads: list[bytes]) -> int:
        assert self._rotate_bytes is not None
        room = self._rotate_bytes - self._part_bytes
        sizes = itertools.accumulate(len(p) + 1 for p in payloads)
        take = bisect_right(list(sizes), room)
        if take == 0 and self._part_events == 0:
            return 1  # one event larger than a whole part still has to go somewhere
        return take

    def _complete(self) -> None:
        self._open = False
        events, size = self._part_events, self._part_bytes
        try:
            name = self._finish_part()
        except SinkError:
            self._stats.add_failed(events)
            raise
        self.completed.append(name)
        self._stats.add_delivered(events, size)

    def flush(self, timeout: float | None = None) -> None:
        """Complete the open part, so everything written so far is delivered."""
        if self._open:
            self._complete()

    def close(self) -> None:
        """Complete the open part; afterwards the sink accepts no more writes."""
        if self._closed:
            return
        try:
            self.flush()
        finally:
            self._closed = True
            if self._open:
                self._abandon_part()
                self._open = False


class MemoryPart:
    """One part being assembled in memory (for object stores), optionally gzip-compressed."""

    def __init__(self, compressed: bool) -> None:
        self._buffer = io.BytesIO()
        self._writer = open_encoder(self._buffer, compressed)
        self._compressed = compressed

    def append(self, data: bytes) -> None:
        """Add uncompressed JSONL ``data``."""
        self._writer.write(data)

    def finish(self) -> bytes:
        """The complete part's bytes (compressed when asked)."""
        if self._compressed:
            self._writer.close()
        return self._buffer.getvalue()
