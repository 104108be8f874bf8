"""Scheduled events waiting for their emission time, kept as sorted runs of arrays.

Orders are simulated as soon as they are placed, but their later events are due hours or
days on. Events wait here as two int64 columns (emission key in µs, tag) — 16 bytes each —
in runs sorted by key, merged like a log-structured merge tree so that adding and taking
events costs amortized O(log n) per event without a per-event Python object.
"""

from __future__ import annotations

import numpy as np

from eventgen.shop.randomness import I64

ORDER_OFFSET = 1 << 40  # warm-up orders have negative numbers; tags must stay positive
KIND_BITS = 8


def make_tags(orders: I64, kinds: I64) -> I64:
    """Pack (order number, kind) into one sortable int64: order first, then kind."""
    return ((orders + ORDER_OFFSET) << KIND_BITS) | kinds


def split_tags(tags: I64) -> tuple[I64, I64]:
    """Unpack tags into (order numbers, kinds)."""
    return (tags >> KIND_BITS) - ORDER_OFFSET, tags & ((1 << KIND_BITS) - 1)


class _Run:
    __slots__ = ("keys", "start", "tags")

    def __init__(self, keys: I64, tags: I64) -> None:
        self.keys = keys
        self.tags = tags
        self.start = 0

    def __len__(self) -> int:
        return len(self.keys) - self.start

    def live(self) -> tuple[I64, I64]:
        return self.keys[self.start :], self.tags[self.start :]


_EMPTY = np.empty(0, dtype=np.int64)


def _merged(older_keys: I64, older_tags: I64, newer_keys: I64, newer_tags: I64) -> tuple[I64, I64]:
    """Two runs sorted by key as one, equal keys older first (as a stable sort of the two
    concatenated would order them).

    Each newer event is placed by a binary search in the older run; the result is written
    once. A concatenate-and-argsort held ~40 bytes per event at once (both inputs, their
    concatenation, the permutation and the sorted copy); this holds ~17 plus the inputs,
    which is what bounds the stream's start-up peak (the warm-up's open orders).
    """
    total = len(older_keys) + len(newer_keys)
    slots = np.searchsorted(older_keys, newer_keys, side="right")
    slots += np.arange(len(newer_keys), dtype=slots.dtype)
    from_older = np.ones(total, dtype=np.bool_)
    from_older[slots] = False
    keys = np.empty(total, dtype=np.int64)
    tags = np.empty(total, dtype=np.int64)
    keys[slots] = newer_keys
    tags[slots] = newer_tags
    keys[from_older] = older_keys
    tags[from_older] = older_tags
    return keys, tags


class EventQueue:
    """Events keyed by emission time; hands them out in (key, tag) order once released."""

    def __init__(self) -> None:
        self._runs: list[_Run] = []
        self._ready_keys: I64 = _EMPTY
        self._ready_tags: I64 = _EMPTY

    def __len__(self) -> int:
        return len(self._ready_keys) + sum(len(run) for run in self._runs)

    @property
    def ready(self) -> int:
        """Number of released events waiting to be taken."""
        return len(self._ready_keys)

    def push(self, keys: I64, tags: I64) -> None:
        """Add events in any order."""
        if len(keys) == 0:
            return
        order = np.argsort(keys, kind="stable")
        self._runs.append(_Run(keys[order], tags[order]))
        # Keep run sizes decreasing geometrically: O(log n) runs, each event merged
        # O(log n) times, in linear time.
        while len(self._runs) >= 2 and len(self._runs[-2]) <= 2 * len(self._runs[-1]):
            newer = self._runs.pop()
            older = self._runs.pop()
            self._runs.append(_Run(*_merged(*older.live(), *newer.live())))

    def release(self, until: int) -> None:
        """Make every event with key <= ``until`` ready.

        The caller guarantees that events pushed later all have keys >= ``until``, so
        released events can be ordered once and for all.
        """
        keys: list[I64] = []
        tags: list[I64] = []
        kept: list[_Run] = []
        for run in self._runs:
            live_keys, live_tags = run.live()
            cut = int(np.searchsorted(live_keys, until, side="right"))
            if cut:
                keys.append(live_keys[:cut])
                tags.append(live_tags[:cut])
                run.start += cut
            if len(run) == 0:
                continue
            if run.start > len(run.keys) // 2:
                # Drop the taken prefix, or it would be held in memory until a merge.
                run.keys, run.tags = run.keys[run.start :].copy(), run.tags[run.start :].copy()
                run.start = 0
            kept.append(run)
        self._runs = kept
        if not keys:
            return
        new_keys = np.concatenate(keys)
        new_tags = np.concatenate(tags)
        # Ties in time are broken by order number, then event kind: deterministic.
        order = np.lexsort((new_tags, new_keys))
        self._ready_keys = np.concatenate([self._ready_keys, new_keys[order]])
        self._ready_tags = np.concatenate([self._ready_tags, new_tags[order]])

    def pop(self, count: int) -> tuple[I64, I64]:
        """Take the first ``count`` ready events (fewer if fewer are ready)."""
        keys, tags = self._ready_keys[:count], self._ready_tags[:count]
        self._ready_keys = self._ready_keys[count:].copy()
        self._ready_tags = self._ready_tags[count:].copy()
        return keys, tags
