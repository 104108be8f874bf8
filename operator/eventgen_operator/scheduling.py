"""When to reconcile next: retry backoff, spread resyncs, and the thread that keeps time.

kopf's own retries live in annotations on the object (stale ones outlive a crash) and wait
out their delay even when the spec is edited; its timers fire for every object in the same
second. The operator keeps its schedule in memory instead: one `Scheduler` runs each
EventGenerator's next reconcile when due, a `Backoff` spaces retries, and `resync_delay`
gives every generator its own second in the resync interval.
"""

from __future__ import annotations

import heapq
import itertools
import logging
import threading
import time
import zlib
from collections.abc import Callable, Hashable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Backoff:
    """Seconds before retry number `attempt` (0-based): first, doubled each time, capped."""

    first: float = 5.0
    cap: float = 300.0

    def delay(self, attempt: int) -> float:
        """`first * 2**attempt`, at most `cap`."""
        return float(min(self.cap, self.first * 2 ** min(attempt, 32)))


def resync_delay(key: str, interval: float, now: float) -> float:
    """Seconds until `key`'s next resync: each key has a fixed offset in the interval
    (from a checksum of the key), so N generators resync spread over the interval rather
    than all at once. Always in (0, interval]."""
    offset = zlib.crc32(key.encode()) % 1000 / 1000 * interval
    delay = (offset - now) % interval
    return delay if delay > 0.001 else interval


class Scheduler:
    """Runs `run(key)` for each key when it is due, on a few worker threads.

    `run` returns the seconds until the key's next run, or None to drop it. Scheduling a
    key that is already due sooner keeps the sooner time, so a retry never postpones an
    edit's immediate reconcile.
    """

    def __init__(
        self,
        run: Callable[[Hashable], float | None],
        workers: int = 4,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self._run = run
        self._clock = clock
        self._due: dict[Hashable, float] = {}
        self._heap: list[tuple[float, int, Hashable]] = []
        self._order = itertools.count()
        self._wake = threading.Condition()
        self._stopped = False
        self._pool = ThreadPoolExecutor(workers, thread_name_prefix="eventgen-reconcile")
        self._thread = threading.Thread(target=self._loop, name="eventgen-scheduler", daemon=True)

    def start(self) -> None:
        """Start keeping time."""
        self._thread.start()

    def stop(self) -> None:
        """Stop: nothing more runs (a run in progress finishes)."""
        with self._wake:
            self._stopped = True
            self._wake.notify_all()
        self._pool.shutdown(wait=False, cancel_futures=True)

    def at(self, key: Hashable, delay: float) -> None:
        """Run `key` in `delay` seconds, unless it is already due sooner."""
        due = self._clock() + max(0.0, delay)
        with self._wake:
            if key in self._due and self._due[key] <= due:
                return
            self._due[key] = due
            heapq.heappush(self._heap, (due, next(self._order), key))
            self._wake.notify()

    def cancel(self, key: Hashable) -> None:
        """Forget `key` (its pending run does not happen)."""
        with self._wake:
            self._due.pop(key, None)

    def due_in(self, key: Hashable) -> float | None:
        """Seconds until `key` runs, or None when it is not scheduled."""
        with self._wake:
            due = self._due.get(key)
        return None if due is None else due - self._clock()

    def keys(self) -> list[Hashable]:
        """Every scheduled key."""
        with self._wake:
            return list(self._due)

    def _next_due(self) -> Hashable | None:
        with self._wake:
            while not self._stopped:
                if not self._heap:
                    self._wake.wait()
                    continue
                due, _, key = self._heap[0]
                if self._due.get(key) != due:
                    heapq.heappop(self._heap)  # cancelled or moved sooner
                    continue
                wait = due - self._clock()
                if wait > 0:
                    self._wake.wait(wait)
                    continue
                heapq.heappop(self._heap)
                del self._due[key]
                return key
        return None

    def _loop(self) -> None:
        while (key := self._next_due()) is not None:
            try:
                self._pool.submit(self._call, key)
            except RuntimeError:
                return  # shut down

    def _call(self, key: Hashable) -> None:
        try:
            delay = self._run(key)
        except Exception:  # a bug in run(); keep the key alive, say it once per run
            log.exception("reconcile of %s failed unexpectedly", key)
            delay = 60.0
        if delay is not None:
            self.at(key, delay)
