"""Mutual exclusion per key, with a registry that holds only the keys in use.

The operator serializes reconciles per EventGenerator. Keeping one lock per generator ever
seen would grow without bound over churn; dropping a generator's lock when it is deleted
is wrong, because a reconcile may still hold it and a quick delete and re-create would
then get a fresh lock and run a second reconcile beside the first. Here each entry counts
the threads holding or waiting for it and disappears when the last one leaves, so the
registry stays small and a key never has two locks at once.
"""

from __future__ import annotations

import threading
from collections.abc import Hashable, Iterator
from contextlib import contextmanager


class _Entry:
    """One key's lock and the number of threads holding or waiting for it."""

    __slots__ = ("lock", "users")

    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.users = 0


class KeyedLocks:
    """A lock per key, created on first use and removed when no thread uses it."""

    def __init__(self) -> None:
        self._entries: dict[Hashable, _Entry] = {}
        self._guard = threading.Lock()

    def __len__(self) -> int:
        """Keys currently held or waited for."""
        with self._guard:
            return len(self._entries)

    @contextmanager
    def holding(self, key: Hashable) -> Iterator[None]:
        """Hold ``key``'s lock for the block; other threads using the same key wait."""
        with self._guard:
            entry = self._entries.get(key)
            if entry is None:
                entry = self._entries[key] = _Entry()
            # Counted before blocking, so the entry cannot be dropped while this waits.
            entry.users += 1
        try:
            with entry.lock:
                yield
        finally:
            with self._guard:
                entry.users -= 1
                if entry.users == 0:
                    del self._entries[key]
