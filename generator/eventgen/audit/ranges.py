"""The sequences one generator_id has shown, kept as sorted disjoint runs, doubles counted.

An audit of a billion events cannot keep a billion integers. Sequences arrive mostly in
order (a part file, a generator's messages in publish order), so they are kept as runs
``[start, end)``: one open run grows by one per event in order, and only a sequence that
breaks it costs a bisect into the committed runs. Memory is 16 bytes per run held, that is
per gap still open (plus runs that arrived out of order and have not met their neighbours
yet), not per event: a complete generator of any size is one run.
"""

from __future__ import annotations

from array import array
from bisect import bisect_right

NO_LIMIT = 1 << 62
EMPTY = -1
MAX_DOUBLED_RUNS = 100_000  # doubled sequences kept as runs (1.6 MB) at most; all are counted


class SequenceRanges:
    """Distinct sequences seen, plus how many records repeated a sequence already seen."""

    __slots__ = (
        "doubled", "doubles", "ends", "limit", "list_doubles", "run_end", "run_start", "starts",
    )  # fmt: skip

    def __init__(self, *, list_doubles: bool = True) -> None:
        self.starts = array("q")
        self.ends = array("q")
        # The open run [run_start, run_end) is not yet in starts/ends; it may grow up to
        # `limit`, the start of the next committed run, so it never overlaps one. No open
        # run is -1, -1: then no sequence (all are >= 0) extends it.
        self.run_start = EMPTY
        self.run_end = EMPTY
        self.limit = NO_LIMIT
        self.doubled = 0
        # Doubles arrive in blocks (a redelivered batch, a file loaded twice), so they are
        # kept as runs too; a third copy is not counted again there.
        self.list_doubles = list_doubles
        self.doubles: SequenceRanges | None = None

    def add(self, sequence: int) -> None:
        """Record one record carrying ``sequence`` (a non-negative integer)."""
        if sequence == self.run_end and sequence < self.limit:
            self.run_end = sequence + 1
            return
        self._add_out_of_run(sequence)

    def add_run(self, start: int, end: int) -> None:
        """Record the records carrying ``start``, ``start + 1`` ... ``end - 1`` (in that order)."""
        if start >= end:
            return
        if start == self.run_end and end <= self.limit:
            self.run_end = end
            return
        self._commit()
        index = bisect_right(self.starts, start) - 1
        following = index + 1
        limit = self.starts[following] if following < len(self.starts) else NO_LIMIT
        if (index < 0 or self.ends[index] <= start) and end <= limit:
            self.run_start, self.run_end, self.limit = start, end, limit
            return
        for sequence in range(start, end):  # overlaps sequences already seen: rare
            self.add(sequence)

    def _add_out_of_run(self, sequence: int) -> None:
        self._commit()
        index = bisect_right(self.starts, sequence) - 1
        if index >= 0 and sequence < self.ends[index]:
            self._note_doubled(sequence)
            return
        following = index + 1
        self.limit = self.starts[following] if following < len(self.starts) else NO_LIMIT
        self.run_start, self.run_end = sequence, sequence + 1

    def _note_doubled(self, sequence: int) -> None:
        """Count a doubled sequence, and keep it in runs of its own (while they stay few)."""
        self.doubled += 1
        if not self.list_doubles:
            return
        if self.doubles is None:
            self.doubles = SequenceRanges(list_doubles=False)
        elif self.doubles.held_runs() >= MAX_DOUBLED_RUNS:
            return  # listed as far as it goes; still counted
        self.doubles.add(sequence)

    def doubled_runs(self) -> list[tuple[int, int]]:
        """Doubled sequences as sorted runs ``(start, end)``, complete unless more than
        MAX_DOUBLED_RUNS runs of them arrived (then the runs kept until that point)."""
        return [] if self.doubles is None else self.doubles.runs()

    def _commit(self) -> None:
        """Move the open run into the committed runs, merging it with touching neighbours."""
        start, end = self.run_start, self.run_end
        if end <= start:
            return
        self.run_start = self.run_end = EMPTY
        starts, ends = self.starts, self.ends
        index = bisect_right(starts, start)
        joins_previous = index > 0 and ends[index - 1] == start
        joins_next = index < len(starts) and starts[index] == end
        if joins_previous and joins_next:
            ends[index - 1] = ends[index]
            del starts[index], ends[index]
        elif joins_previous:
            ends[index - 1] = end
        elif joins_next:
            starts[index] = start
        else:
            starts.insert(index, start)
            ends.insert(index, end)

    def runs(self) -> list[tuple[int, int]]:
        """The distinct sequences as sorted, disjoint, non-touching runs ``(start, end)``."""
        self._commit()
        self.limit = NO_LIMIT
        return list(zip(self.starts, self.ends, strict=True))

    def held_runs(self) -> int:
        """How many runs are held in memory now (the memory bound's unit)."""
        return len(self.starts) + (1 if self.run_end > self.run_start else 0)
