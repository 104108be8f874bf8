"""The bounds on rate and time that keep every event loadable and every order well formed.

One owner for each bound, used by the flags, the environment, the live-rate inputs and the
generator itself, so they cannot disagree.

Rate. Open orders are bounded (``--max-in-flight-orders``): above it every lifecycle delay
shrinks by one factor, so at absurd rates an order's steps would fall into one microsecond
(at 1e12 events/s, 1.08 M events carried 26 distinct timestamps). Two rules keep an order's
timestamps strictly increasing: every step delay is at least 1 µs after the step before it
(:mod:`eventgen.shop.lifecycle`), and the rate is at most :data:`MAX_RATE` per process, where
at the default in-flight bound even the shortest step (a payment, at least 2 s before
scaling) stays about 26 µs after its order, and arrivals stay a Poisson process rather than
a pile-up on integer microseconds. One process generates about 500,000 events/s on one
core, so the bound costs nothing real; more goes through more replicas (the CRD's
``maxRatePerReplica`` has the same maximum).

Time. BigQuery's TIMESTAMP ends at 9999-12-31T23:59:59.999999Z, and the generator works in
integer microseconds since the Unix epoch. So a run starts no earlier than 1970-01-01, and
its start plus its span plus :data:`TAIL_SECONDS` (longer than any order's lifecycle, about
32 days, plus the longest lateness) stays within BigQuery's range.
"""

from __future__ import annotations

import datetime as dt
import math

MAX_RATE = 1_000_000.0

STREAM_MAX_IN_FLIGHT_ORDERS = 250_000
"""A stream's default ``--max-in-flight-orders`` (a batch keeps the options' 1,000,000).

A stream simulates its open orders before its first event and keeps their events queued
(16 bytes each) for its whole life, so the bound is its start-up time and a fixed part of
its memory: at 1,000,000 the warm-up took ~0.6 s of a core and the queue ~21 MB (~40 MB
while merging), at 250,000 a quarter (bench ``generator_pod``: first event within 1 s).
Above ~3 events/s the bound is what sets a stream's delays anyway (at 5,000 events/s,
shipping comes ~43 s after payment, ~3 min at 1,000,000, 18 h unscaled), so a stream loses
little realism; a batch, spread over a day at a few events per simulated
second, keeps the larger bound and its day-scale delays. At :data:`MAX_RATE` with this
bound the shortest step (a payment) still lands ~6 µs after its order."""
"""Most events per second one process generates (``--rate``, live rate, batch density)."""

MAX_STEERING_FACTOR = 16.0
"""The most a stream's order density moves above its target rate while steering its event
time back onto the clock (eventgen.runtime.timekeeping), so a large lead is worked off
smoothly rather than by a burst of orders."""

MAX_DENSITY = MAX_RATE * MAX_STEERING_FACTOR
"""Most events per simulated second: a stream steering its event time back onto the clock
places orders up to MAX_STEERING_FACTOR times denser than its rate."""

EARLIEST_START = dt.datetime(1970, 1, 1, tzinfo=dt.UTC)
LATEST_TIMESTAMP = dt.datetime(9999, 12, 31, 23, 59, 59, 999_999, tzinfo=dt.UTC)
"""BigQuery's largest TIMESTAMP."""

TAIL_SECONDS = 366 * 86_400.0
"""Room after a run's period for the lifecycles it started and a stream that keeps going."""

MAX_DURATION_SECONDS = 3650 * 86_400.0
"""Longest duration any flag accepts (ten years): past it, clocks and timeouts overflow."""

LATEST_START = LATEST_TIMESTAMP - dt.timedelta(seconds=TAIL_SECONDS)
"""The latest start of a stream (a batch's start + span must be within this too)."""


def rate_problem(rate: float) -> str | None:
    """Why ``rate`` (events/s) is not acceptable, or None when it is."""
    if not math.isfinite(rate) or rate < 0:
        return "must be a finite number >= 0"
    if rate > MAX_RATE:
        return f"is above the most one process generates, {MAX_RATE:,.0f} events/s"
    return None


def checked_rate(rate: float) -> float:
    """``rate`` (events/s) if acceptable, else ValueError ``rate <rate> <why>``."""
    problem = rate_problem(rate)
    if problem:
        raise ValueError(f"rate {rate!r} {problem}")
    return float(rate)


def parse_rate(text: str) -> float:
    """A rate in events per second written as text, else ValueError ``rate '<text>' <why>``.

    The one parser of rates: ``--rate`` and ``EVENTGEN_RATE`` (where argparse and the
    environment defaults turn the ValueError into a one-line error, exit 2), the live rate
    file and ConfigMap (where :mod:`eventgen.runtime.liverate` names the source, logs it and
    keeps the rate in force).
    """
    try:
        value = float(text)
    except ValueError:
        raise ValueError(f"rate {text!r} is not a number") from None
    problem = rate_problem(value)
    if problem:
        raise ValueError(f"rate {text!r} {problem}")
    return value


def period_problem(start: dt.datetime, span_seconds: float = 0.0) -> str | None:
    """Why a run from ``start`` covering ``span_seconds`` would leave BigQuery's range."""
    if start < EARLIEST_START:
        return f"is before {EARLIEST_START:%Y-%m-%d} (event time counts from the Unix epoch)"
    latest = LATEST_START - dt.timedelta(seconds=span_seconds)
    if start > latest:
        return (
            f"is after {latest.isoformat(timespec='seconds')}: later events would pass "
            "9999-12-31, the end of BigQuery's TIMESTAMP"
        )
    return None
