"""A shape evaluated on the wall clock: the factor, its integral, its peak and next change.

Pure arithmetic on Unix seconds, no clock of its own, so every rule is tested on simulated
time. Between two *breakpoints* (an hour boundary of the rhythm, a stage boundary, a burst's
start or end) the factor is a straight line (a ramp times constants) or a constant, so:
the integral over a piece is its length times the factor at its middle (exact), the peak
over a window is at a breakpoint or an end (exact), and the next change is the next
breakpoint where the factor jumps or a ramp begins.

Time: shape time ``s`` runs ``timeScale`` times faster than wall time ``t`` from the
origin (``shape.start``, else the ``anchor`` the caller gives: the stream's start, or the
moment the operator first applied the shape): ``s = origin + (t - origin) x timeScale``.
"""

from __future__ import annotations

import itertools
import math
import sys
from collections.abc import Iterator
from dataclasses import dataclass, field

from eventgen.shape.document import DAY_SECONDS, WEEK_SECONDS, Burst, Shape
from eventgen.shop.arrivals import FIRST_MONDAY_MICROS, MICROS, hour_of_week_weights

HOUR_SECONDS = 3600.0
_FIRST_MONDAY = FIRST_MONDAY_MICROS / MICROS
_HOUR_WEIGHTS: tuple[float, ...] = tuple(float(w) for w in hour_of_week_weights())
# Breakpoints closer than this (seconds of shape time) are one: float noise, not a piece.
_EPSILON = 1e-6


@dataclass(frozen=True)
class Change:
    """The next change of the rate: at wall time ``at`` (Unix s) the factor becomes
    ``factor`` (for a ramp: begins moving toward it)."""

    at: float
    factor: float


@dataclass(frozen=True)
class Curve:
    """``shape`` on the wall clock of a shop ``utc_offset_hours`` from UTC."""

    shape: Shape
    utc_offset_hours: int = 0
    anchor: float = 0.0
    _stage_ends: tuple[float, ...] = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        ends, total = [], 0.0
        for stage in self.shape.stages:
            total += stage.duration_seconds
            ends.append(total)
        object.__setattr__(self, "_stage_ends", tuple(ends))

    @property
    def origin(self) -> float:
        """Wall (and shape) time at which stages begin and compression is anchored."""
        return self.shape.start.timestamp() if self.shape.start else self.anchor

    def shape_time(self, wall: float) -> float:
        """Shape time at wall time ``wall`` (both Unix seconds)."""
        return self.origin + (wall - self.origin) * self.shape.time_scale

    def wall_time(self, shape_time: float) -> float:
        """Wall time at which shape time reaches ``shape_time``."""
        return self.origin + (shape_time - self.origin) / self.shape.time_scale

    # -- the factor ---------------------------------------------------------------------

    def factor(self, wall: float) -> float:
        """The product of the rhythm, the stage and the bursts at wall time ``wall``."""
        return self.factor_at_shape_time(self.shape_time(wall))

    def factor_at_shape_time(self, s: float) -> float:
        """The factor at shape time ``s``."""
        return self._daily(s) * self._stage(s) * self._bursts(s)

    def _daily(self, s: float) -> float:
        if not self.shape.daily:
            return 1.0
        local_hours = (s - _FIRST_MONDAY + self.utc_offset_hours * HOUR_SECONDS) / HOUR_SECONDS
        return _HOUR_WEIGHTS[math.floor(local_hours) % len(_HOUR_WEIGHTS)]

    def _stage(self, s: float) -> float:
        stages = self.shape.stages
        elapsed = s - self.origin
        if not stages or elapsed < 0:
            return 1.0
        total = self._stage_ends[-1]
        if self.shape.repeat_stages:
            elapsed %= total
        elif elapsed >= total:
            return stages[-1].factor
        index = next(i for i, end in enumerate(self._stage_ends) if elapsed < end)
        stage = stages[index]
        if not stage.ramp:
            return stage.factor
        before = self._level_before(index)
        begun = self._stage_ends[index] - stage.duration_seconds
        progress = (elapsed - begun) / stage.duration_seconds
        return before + (stage.factor - before) * progress

    def _level_before(self, index: int) -> float:
        if index > 0:
            return self.shape.stages[index - 1].factor
        return self.shape.stages[-1].factor if self.shape.repeat_stages else 1.0

    def _bursts(self, s: float) -> float:
        product = 1.0
        for burst in self.shape.bursts:
            if self._burst_active(burst, s):
                product *= burst.factor
        return product

    def _burst_phase(self, burst: Burst) -> tuple[float, float | None]:
        """(a start time of the burst in shape time, its period or None when once)."""
        if burst.every is None:
            return burst.once_at(), None
        period = DAY_SECONDS if burst.every == "day" else WEEK_SECONDS
        local = _FIRST_MONDAY - self.utc_offset_hours * HOUR_SECONDS
        return local + burst.local_offset_seconds(), period

    def _burst_active(self, burst: Burst, s: float) -> bool:
        first, period = self._burst_phase(burst)
        since = s - first if period is None else (s - first) % period
        return 0 <= since < burst.duration_seconds

    # -- breakpoints, integral, peak, next change ---------------------------------------

    def breakpoints(self, wall_from: float, wall_to: float) -> list[float]:
        """Wall times strictly inside (wall_from, wall_to) where the factor may bend or jump."""
        s0, s1 = self.shape_time(wall_from), self.shape_time(wall_to)
        found = sorted(set(self._shape_breakpoints(s0, s1)))
        return [self.wall_time(s) for s in found if s0 + _EPSILON < s < s1 - _EPSILON]

    def _shape_breakpoints(self, s0: float, s1: float) -> Iterator[float]:
        if self.shape.daily:
            yield from _periodic(_FIRST_MONDAY, HOUR_SECONDS, s0, s1)
        if self.shape.stages:
            yield from self._stage_breakpoints(s0, s1)
        for burst in self.shape.bursts:
            first, period = self._burst_phase(burst)
            if period is None:
                yield from (first, first + burst.duration_seconds)
            else:
                yield from _periodic(first, period, s0, s1)
                yield from _periodic(first + burst.duration_seconds, period, s0, s1)

    def _stage_breakpoints(self, s0: float, s1: float) -> Iterator[float]:
        total = self._stage_ends[-1]
        if not self.shape.repeat_stages:
            yield self.origin
            yield from (self.origin + end for end in self._stage_ends)
            return
        cycle = max(0, math.floor((s0 - self.origin) / total))
        while self.origin + cycle * total <= s1:
            begun = self.origin + cycle * total
            yield begun
            yield from (begun + end for end in self._stage_ends)
            cycle += 1

    def pieces(self, wall_from: float, wall_to: float) -> Iterator[tuple[float, float]]:
        """Consecutive (start, end) wall times covering the span, the factor linear in each."""
        edges = [wall_from, *self.breakpoints(wall_from, wall_to), wall_to]
        return itertools.pairwise(edges)

    def integral(self, wall_from: float, wall_to: float) -> float:
        """Integral of the factor over wall time (seconds at factor 1): exact, since the
        factor is linear within each piece."""
        if wall_to <= wall_from:
            return 0.0
        return sum((b - a) * self.factor((a + b) / 2) for a, b in self.pieces(wall_from, wall_to))

    def _nudge(self, wall: float) -> float:
        """A step in wall seconds that surely moves off a breakpoint at ``wall``: a
        microsecond of shape time, but never below a few float steps of ``wall`` itself
        (at Unix times, 2.4e-7 s: a smaller nudge would leave ``wall`` unchanged)."""
        return max(_EPSILON / self.shape.time_scale, abs(wall) * 8 * sys.float_info.epsilon)

    def peak(self, wall_from: float, wall_to: float) -> float:
        """The highest factor over [wall_from, wall_to]: at an end or just either side of a
        breakpoint, since each piece is a straight line."""
        nudge = self._nudge(wall_to)
        candidates = [wall_from, max(wall_from, wall_to - nudge)]
        for point in self.breakpoints(wall_from, wall_to):
            candidates += [point - nudge, point]
        return max(self.factor(t) for t in candidates)

    def next_change(self, wall: float, horizon: float = 8 * DAY_SECONDS) -> Change | None:
        """The first breakpoint after ``wall`` (within ``horizon`` wall seconds) where the
        factor changes, with the factor it heads for; None when it stays flat."""
        step = min(horizon, max(HOUR_SECONDS, 2 * HOUR_SECONDS / self.shape.time_scale))
        nudge = self._nudge(wall + horizon)
        start = wall
        while start < wall + horizon:
            end = min(start + step, wall + horizon)
            points = self.breakpoints(start, end)
            for point in points:
                after = self._factor_after(point)
                if not math.isclose(self.factor(point - nudge), after, rel_tol=1e-9) or (
                    self._ramping_after(point)
                ):
                    return Change(at=point, factor=self._heads_for(point, after))
            start = end
        return None

    def _factor_after(self, wall: float) -> float:
        return self.factor(wall + self._nudge(wall))

    def _ramping_after(self, wall: float) -> bool:
        s = self.shape_time(wall + self._nudge(wall))
        return self._stage(s) != self._stage(s + 1.0) and self._in_ramp(s)

    def _in_ramp(self, s: float) -> bool:
        stages = self.shape.stages
        elapsed = s - self.origin
        if not stages or elapsed < 0:
            return False
        total = self._stage_ends[-1]
        if self.shape.repeat_stages:
            elapsed %= total
        elif elapsed >= total:
            return False
        index = next(i for i, end in enumerate(self._stage_ends) if elapsed < end)
        return stages[index].ramp

    def _heads_for(self, wall: float, after: float) -> float:
        """For a ramp starting at ``wall``: the factor at its end; else ``after``."""
        s = self.shape_time(wall + self._nudge(wall))
        if not self._in_ramp(s):
            return after
        following = [b for b in self.breakpoints(wall, wall + WEEK_SECONDS) if b > wall]
        if not following:
            return after
        return self.factor(following[0] - self._nudge(following[0]))


def _periodic(first: float, period: float, s0: float, s1: float) -> Iterator[float]:
    """Times ``first + k x period`` within [s0, s1]."""
    k = math.ceil((s0 - first) / period)
    while first + k * period <= s1:
        yield first + k * period
        k += 1


def factor_bound(shape: Shape) -> float:
    """A factor the shape never exceeds: the busiest hour x the highest stage level x every
    burst above 1 at once (bursts that never overlap make it generous, never short)."""
    daily = max(_HOUR_WEIGHTS) if shape.daily else 1.0
    stage = max([1.0, *(s.factor for s in shape.stages)])
    bursts = math.prod(max(1.0, b.factor) for b in shape.bursts)
    return daily * stage * bursts
