"""Keep a stream's event time on the wall clock.

The pacer decides how many events go out per second; the generator decides how much
simulated time those events span. The two agree only in a steady state: after a rate
change, orders placed at the old rate still produce their later steps (shipments,
deliveries) at the old density, so event time would run ahead of the wall clock after a
rise and fall behind after a drop (and it starts a little behind, after the generator
simulates the orders already open). Two corrections, one per direction:
- behind the clock: shift the time of the events to come forward by the lag. Only ever
  forward, so the steps of every order stay in order; the delays spanning the shift
  stretch by it.
- ahead of the clock: event time cannot move back without reordering an order's steps, so
  the density of new orders is raised instead (more orders per simulated second: event
  time slows down) until the clock catches up. The shop's order volume bends a little for
  a few seconds.
"""

from __future__ import annotations

import math
from typing import Protocol

from eventgen.bounds import MAX_STEERING_FACTOR

# The documented bound (docs/runtime.md#streaming), held through rises and drops at rates
# from BOUNDED_FROM_RATE up (tests/generator/test_timekeeping.py, on a simulated clock):
# an event is written at most AHEAD_BOUND_SECONDS before its timestamp and at most
# BEHIND_BOUND_SECONDS after it, plus the time the sink itself takes. Below that rate
# orders are seconds apart and one arrival can be stamped seconds ahead.
AHEAD_BOUND_SECONDS = 0.5
BEHIND_BOUND_SECONDS = 0.2
BOUNDED_FROM_RATE = 20.0
# Lag (seconds) tolerated before the events to come are shifted forward.
LAG_TOLERANCE_SECONDS = 0.1
# Seconds ahead of the clock that double the density of new orders. Strong, so that the
# lead a rise leaves (its first batch finds only new orders' placements) shrinks within a
# few batches: at 0.25 s, a rise 50 -> 5,000/s kept events ~0.3 s ahead for minutes.
DRIFT_DOUBLING_SECONDS = 0.05


class ClockedSource(Protocol):
    """What keeping time needs from ``eventgen.shop.generation.EventStream``."""

    @property
    def simulated_time(self) -> float: ...

    def shift_event_time(self, seconds: float) -> None: ...


def steered_density(rate: float, lead_seconds: float) -> float:
    """Events per simulated second for new orders, given the target ``rate`` (events/s)
    and how far event time is ahead of the wall clock (``lead_seconds``; 0 when behind)."""
    doublings = min(max(lead_seconds, 0.0) / DRIFT_DOUBLING_SECONDS, math.log2(MAX_STEERING_FACTOR))
    factor: float = 2.0**doublings
    return rate * factor


def keep_on_clock(source: ClockedSource, rate: float, now: float) -> float:
    """Correct ``source`` before its next batch so event time stays at ``now`` (Unix s):
    shift its event time forward when behind, and return the density (events per simulated
    second) its new orders need. The caller, the stream loop, is the one writer of the
    source's density."""
    drift = source.simulated_time - now
    if drift < -LAG_TOLERANCE_SECONDS:
        source.shift_event_time(-drift)
        drift = 0.0
    return steered_density(rate, drift)
