"""Rate pacing on a deadline schedule: when is the next batch due, and how big is it.

Sleeping once per event drifts (every sleep overshoots) and costs a system call per event.
The pacer instead keeps a schedule anchored at the moment the current rate took effect:
the k-th event is due at ``anchor + k / rate`` seconds on a monotonic clock. Each call of
:meth:`Pacer.acquire` sleeps until the *last* event of the next batch is due and hands out
the batch size, so no event leaves before its time and rounding errors never accumulate.
Batches hold about ``batch_interval`` seconds of events (one event at low rates, so latency
stays low; at most ``max_batch`` at high rates, so memory stays bounded).

The rate may change from another thread at any time (:meth:`Pacer.set_rate`); the schedule
re-anchors at the change. A rate of 0 pauses. When the caller falls behind by more than
``max_lag`` seconds (a slow sink), the backlog is dropped instead of being sent as a burst.
Clock and sleep are injectable, so accuracy is tested on a simulated clock.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable

from eventgen.bounds import checked_rate
from eventgen.errors import ConfigError

Clock = Callable[[], float]
Sleep = Callable[[float], None]


def validate_rate(rate: float) -> float:
    """Return ``rate`` (events per second) if :func:`eventgen.bounds.checked_rate` accepts
    it, else raise ConfigError with its reason (a pacer is only ever given checked rates)."""
    try:
        return checked_rate(rate)
    except ValueError as error:
        raise ConfigError(str(error)) from None


class Pacer:
    """Hands out batch sizes at a target rate in events per second.

    ``batch_interval``: seconds of events per batch (default 0.05 s). ``max_batch``: cap on
    events per batch. ``max_wait``: longest single sleep in seconds, so a paused or slow
    schedule still returns to the caller (which checks for shutdown) and notices rate
    changes promptly. ``max_lag``: seconds behind schedule after which the backlog is dropped.
    """

    def __init__(
        self,
        rate: float,
        *,
        clock: Clock = time.monotonic,
        sleep: Sleep = time.sleep,
        batch_interval: float = 0.05,
        max_batch: int = 10_000,
        max_wait: float = 0.25,
        max_lag: float = 1.0,
    ) -> None:
        self._rate = validate_rate(rate)
        self._clock = clock
        self._sleep = sleep
        self._batch_interval = batch_interval
        self._max_batch = max_batch
        self._max_wait = max_wait
        self._max_lag = max_lag
        self._lock = threading.Lock()
        # The schedule: `issued` events handed out since `anchor`, at `anchor_rate`.
        self._anchor = clock()
        self._anchor_rate = self._rate
        self._issued = 0
        self.dropped_seconds = 0.0
        """Seconds of schedule skipped because the caller fell behind (a slow sink)."""

    @property
    def rate(self) -> float:
        """The current target rate in events per second."""
        return self._rate

    def set_rate(self, rate: float) -> None:
        """Change the target rate (events/s); safe from any thread; 0 pauses."""
        with self._lock:
            self._rate = validate_rate(rate)

    def batch_size(self, rate: float) -> int:
        """Events per batch at ``rate``: ``batch_interval`` seconds' worth, between 1 and max."""
        return max(1, min(self._max_batch, int(rate * self._batch_interval)))

    def acquire(self) -> int:
        """Wait for the next batch to fall due and return its size in events.

        Returns 0 without handing out events when the rate is 0 (paused) or the next batch
        is due later than ``max_wait`` seconds from now; the caller simply calls again.
        """
        with self._lock:
            rate = self._rate
            if rate != self._anchor_rate:
                self._reanchor(rate, self._clock())
        if rate == 0:
            self._sleep(self._max_wait)
            return 0
        size = self.batch_size(rate)
        due = self._anchor + (self._issued + size) / rate
        wait = due - self._clock()
        if wait > self._max_wait:
            self._sleep(self._max_wait)
            return 0
        if wait > 0:
            self._sleep(wait)
        with self._lock:
            if self._rate != rate:
                # The rate changed while we slept: re-plan on the new schedule.
                return 0
            now = self._clock()
            if now - due > self._max_lag:
                # Behind by more than max_lag: restart the schedule at now rather than
                # catching up with a burst the sink evidently cannot absorb.
                self.dropped_seconds += now - due
                self._reanchor(rate, now - size / rate)
            self._issued += size
        return size

    def _reanchor(self, rate: float, at: float) -> None:
        self._anchor = at
        self._anchor_rate = rate
        self._issued = 0
