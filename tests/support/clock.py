"""A simulated monotonic clock for tests of code that paces or waits.

Pass the instance as the clock (it is callable) and its ``sleep`` as the sleep function: time
moves only when the code under test sleeps (or a test advances ``now`` to model work), so
pacing and timeouts are tested exactly and at once.
"""

from __future__ import annotations


class SimulatedClock:
    """A monotonic clock that only moves when someone sleeps (or a test sets ``now``)."""

    def __init__(self, start: float = 1000.0) -> None:
        self.now = start

    def __call__(self) -> float:
        return self.now

    def sleep(self, seconds: float) -> None:
        assert seconds >= 0, f"slept {seconds} s"
        self.now += seconds
