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
KEPT_DOUBLED_RUNS = 16  # doubled sequences are listed as the first few runs, and counted


class SequenceRanges:
    """Distinct sequences seen, plus how many records repeated a sequence already seen."""

    __slots__ = ("doubled", "doubled_runs", "ends", "limit", "run_end", "run_start", "starts")

    def __init__(self) -> None:
        self.starts = array("q")
        self.ends = array("q")
        # The open run [run_start, run_end) is not yet in starts/ends; it may grow up to
        # `limit`, the start of the next committed run, so it never overlaps one. No open
        # run is -1, -1: then no sequence (all are >= 0) extends it.
        self.run_start = EMPTY
        self.run_end = EMPTY
        self.limit = NO_LIMIT
        self.doubled = 0
        self.doubled_runs: list[list[int]] = []

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
        self.doubled += 1
        runs = self.doubled_runs
        if runs and runs[-1][1] == sequence:
            runs[-1][1] = sequence + 1
        elif len(runs) < KEPT_DOUBLED_RUNS and not any(a <= sequence < b for a, b in runs):
            runs.append([sequence, sequence + 1])

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
