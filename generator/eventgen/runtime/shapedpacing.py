"""Pacing along a curve: the events due are the integral of the rate, not rate x time.

:class:`eventgen.runtime.pacing.Pacer` re-anchors its schedule at every rate change; along a ramp
the rate changes at every batch, and each re-anchor would lose the moments spent between
batches (a ramp would run a few percent short). :class:`ShapedPacer` instead keeps one
account from its start: ``due`` = the integral of base x factor over wall time so far
(:meth:`eventgen.shape.curve.Curve.integral`, exact piece by piece), and hands out a batch when
``due`` covers it. Steps, ramps, bursts and a new base or shape (live, from any thread) all
go through the same account, so no rounding accumulates. Same interface as ``Pacer``
(``rate``, ``set_rate``, ``acquire``, ``dropped_seconds``), plus :meth:`set_curve`.
"""

from __future__ import annotations

import threading
import time

from eventgen.bounds import MAX_RATE
from eventgen.runtime.pacing import Clock, Sleep, validate_rate
from eventgen.shape.curve import Curve


class ShapedPacer:
    """Hands out batch sizes so that the events given out follow ``base x curve``.

    ``clock``: monotonic seconds (sleeps are measured on it); ``wall``: Unix seconds of
    ``clock``'s reading at construction, so the curve is evaluated on the wall clock
    without following its jumps. Other parameters as :class:`eventgen.runtime.pacing.Pacer`.
    """

    def __init__(
        self,
        base: float,
        curve: Curve,
        *,
        clock: Clock = time.monotonic,
        sleep: Sleep = time.sleep,
        wall: float | None = None,
        batch_interval: float = 0.05,
        max_batch: int = 10_000,
        max_wait: float = 0.25,
        max_lag: float = 1.0,
    ) -> None:
        self._base = validate_rate(base)
        self._curve = curve
        self._clock = clock
        self._sleep = sleep
        started = clock()
        self._wall_offset = (time.time() if wall is None else wall) - started
        self._batch_interval = batch_interval
        self._max_batch = max_batch
        self._max_wait = max_wait
        self._max_lag = max_lag
        self._lock = threading.Lock()
        self._accounted_to = started + self._wall_offset
        self._due = 0.0
        self._issued = 0
        self.dropped_seconds = 0.0
        """Seconds of schedule skipped because the caller fell behind (a slow sink)."""

    def now(self) -> float:
        """Wall time (Unix s) as this pacer sees it."""
        return self._clock() + self._wall_offset

    @property
    def base(self) -> float:
        """The base rate the curve multiplies (events/s)."""
        return self._base

    @property
    def curve(self) -> Curve:
        """The curve in force."""
        return self._curve

    @property
    def rate(self) -> float:
        """The target rate now: base x factor, at most MAX_RATE (events/s)."""
        return self._rate_at(self.now())

    def _rate_at(self, wall: float) -> float:
        return min(self._base * self._curve.factor(wall), MAX_RATE)

    def due_at(self, now: float) -> float:
        """Events the curve called for from the start to wall time ``now``."""
        with self._lock:
            self._account(now)
            return self._due

    def set_rate(self, rate: float) -> None:
        """Change the base rate (events/s) from now on; safe from any thread."""
        checked = validate_rate(rate)
        with self._lock:
            self._account(self.now())
            self._base = checked

    def set_curve(self, curve: Curve) -> None:
        """Follow another curve from now on (what is due so far stays due)."""
        with self._lock:
            self._account(self.now())
            self._curve = curve

    def _account(self, now: float) -> None:
        if now > self._accounted_to:
            span = self._curve.integral(self._accounted_to, now)
            # The cap only binds at absurd products; then the mean over the span is capped.
            self._due += min(self._base * span, MAX_RATE * (now - self._accounted_to))
            self._accounted_to = now

    def batch_size(self, rate: float) -> int:
        """Events per batch at ``rate``: ``batch_interval`` seconds' worth, between 1 and max."""
        return max(1, min(self._max_batch, int(rate * self._batch_interval)))

    def acquire(self) -> int:
        """Wait (at most ``max_wait`` s) for the next batch to fall due; return its size,
        or 0 when nothing is due yet (the caller calls again)."""
        size = self._ready()
        if size:
            return size
        with self._lock:
            rate = self._rate_at(self.now())
            missing = self._issued + self.batch_size(rate) - self._due
        wait = missing / rate if rate > 0 else self._max_wait
        # At least half a millisecond: a wait rounded to nothing would spin on the clock.
        self._sleep(min(max(wait, 0.0005), self._max_wait))
        return self._ready()

    def _ready(self) -> int:
        with self._lock:
            now = self.now()
            self._account(now)
            rate = self._rate_at(now)
            size = self.batch_size(rate)
            backlog = self._due - self._issued
            if rate > 0 and backlog - size > self._max_lag * rate:
                # Behind by more than max_lag: forgive the backlog rather than bursting it
                # into a sink that evidently cannot absorb it.
                self.dropped_seconds += (backlog - size) / rate
                self._issued = int(self._due) - size
                backlog = size
            if backlog >= size or (rate == 0 and backlog >= 1):
                size = min(size, int(backlog))
                self._issued += size
                return size
            return 0
