"""Accounting for the events the end-to-end suites receive: rates and producers (gaps and
doubles are `eventgen audit`'s, through ``scenario.audit_received``).

Pure functions over what a subscriber saw, so the arithmetic the end-to-end verdicts rest on
is tested here, where no cluster runs (tests/e2e/test_events.py).
"""

from __future__ import annotations

import bisect
import json
from collections.abc import Iterable, Sequence
from dataclasses import dataclass


@dataclass(frozen=True)
class Received:
    """One event as delivered: who made it, its sequence, and when Pub/Sub accepted it.

    published_at is the server's publish time in seconds since the epoch (UTC), so rates are
    measured on one clock, the emulator's, whatever the test host's clock does.
    """

    generator_id: str
    sequence: int
    event_id: str
    published_at: float


def parse_event(payload: bytes, published_at: float) -> Received | None:
    """The accounting fields of one message body; None for a body that is not an event.

    Malformed events are an opt-in fault this suite never enables, so None is reported by
    the caller rather than hidden.
    """
    try:
        event = json.loads(payload)
    except (ValueError, UnicodeDecodeError):
        return None
    if not isinstance(event, dict):
        return None
    generator_id, sequence, event_id = (
        event.get("generator_id"),
        event.get("sequence"),
        event.get("event_id"),
    )
    if not isinstance(generator_id, str) or not isinstance(event_id, str):
        return None
    if not isinstance(sequence, int) or isinstance(sequence, bool):
        return None
    return Received(generator_id, sequence, event_id, published_at)


def rate_between(events: Iterable[Received], start: float, end: float) -> float:
    """Events per second published in the window [start, end) (seconds since the epoch)."""
    if end <= start:
        raise ValueError(f"empty window: start {start} is not before end {end}")
    count = sum(1 for e in events if start <= e.published_at < end)
    return count / (end - start)


def generators_between(events: Iterable[Received], start: float, end: float) -> set[str]:
    """generator_ids that published at least one event in [start, end)."""
    return {e.generator_id for e in events if start <= e.published_at < end}


def pod_of(generator_id: str) -> str:
    """The pod a streamed event came from: its generator_id without the run id.

    A stream's generator_id is ``<pod name>.<run id>`` (eventgen.runtime.runs), and a run id never
    contains a dot, so the pod is everything before the last one. A container restarted in
    its pod starts a new run id under the same pod.
    """
    return generator_id.rpartition(".")[0] or generator_id


def pods_between(events: Iterable[Received], start: float, end: float) -> set[str]:
    """Pods (all their runs together) that published at least one event in [start, end)."""
    return {pod_of(generator_id) for generator_id in generators_between(events, start, end)}


def within(measured: float, target: float, tolerance: float) -> bool:
    """Whether measured is within +-tolerance (a fraction, 0.2 = 20 %) of target."""
    return abs(measured - target) <= tolerance * target


def publish_times(events: Iterable[Received]) -> list[float]:
    """The events' publish times, sorted (what the rate functions below read)."""
    return sorted(e.published_at for e in events)


def settle_delay(
    times: Sequence[float],
    edit_at: float,
    target: float,
    horizon: float,
    *,
    tolerance: float = 0.05,
    window: float = 1.0,
    step: float = 0.1,
) -> float | None:
    """Seconds from a rate edit at ``edit_at`` until the rate measured at the server reaches
    ``target``; None when it does not before ``horizon`` (seconds since the epoch).

    ``times`` are sorted publish times. For a target above 0, the delay ends at the first
    moment T (on a ``step`` grid) whose trailing ``window`` holds target +-tolerance; for 0,
    at the last event published after the edit (the generators drained and stopped).
    """
    lo = bisect.bisect_left(times, edit_at)
    if target <= 0:
        after = times[lo : bisect.bisect_left(times, horizon)]
        return (after[-1] - edit_at) if after else 0.0
    moment = edit_at + window
    while moment <= horizon:
        count = bisect.bisect_left(times, moment) - bisect.bisect_left(times, moment - window)
        if within(count / window, target, tolerance):
            return moment - edit_at
        moment += step
    return None
