"""When orders arrive: a daily and weekly rhythm by time warping, or a flat rate.

Order arrivals are a Poisson process. Flat, its rate is the same at 3 am as at 8 pm. With
the daily profile, the rate at time t is the mean rate times ``hour_weight(local hour) x
weekday_weight(local weekday)`` (both average 1), in the local standard time of the
shop's locale (daylight saving time is ignored, so the profile repeats every week exactly).

It is done columnar by time warping: arrivals are drawn homogeneous in *operational time*
u = Λ(t), the cumulative intensity (µs of mean-rate time), and mapped back with Λ⁻¹. Λ is
piecewise linear between hourly knots, so both directions are one ``np.interp``. Each
order's placement is a pure function of its own operational time, so the warp never
depends on how orders were batched. A week of real time is exactly a week of operational
time, and a day exactly a day when weekdays are left out of it
(:func:`operational_seconds` gives the operational length of any span).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from eventgen.shop.randomness import F64, I64

MICROS = 1_000_000
HOUR_MICROS = 3_600 * MICROS
WEEK_MICROS = 7 * 24 * HOUR_MICROS
# 1970-01-05 00:00 was the first Monday after the Unix epoch (µs since the epoch).
FIRST_MONDAY_MICROS = 4 * 24 * HOUR_MICROS

# Relative orders per local hour 0..23: quiet from 1 am to 6 am, a lunchtime peak and the
# day's busiest hours from 7 pm to 10 pm (online retail's usual shape).
HOUR_WEIGHTS: tuple[float, ...] = (
    0.55, 0.32, 0.20, 0.15, 0.14, 0.20, 0.40, 0.70, 0.95, 1.10, 1.20, 1.30,
    1.45, 1.40, 1.20, 1.15, 1.15, 1.20, 1.30, 1.50, 1.65, 1.60, 1.30, 0.90,
)  # fmt: skip
# Relative orders per local weekday, Monday first: Sunday evening and Monday busiest,
# Friday and Saturday quietest.
WEEKDAY_WEIGHTS: tuple[float, ...] = (1.06, 1.04, 1.02, 1.00, 0.94, 0.90, 1.04)

# Offset (hours) of each locale's main time zone from UTC, standard time.
UTC_OFFSET_HOURS: dict[str, int] = {
    "en_US": -5,  # Eastern
    "en_GB": 0,
    "en_CA": -5,  # Eastern
    "en_AU": 10,  # Australian Eastern
    "de_DE": 1,
    "fr_FR": 1,
    "es_ES": 1,
    "it_IT": 1,
    "nl_NL": 1,
    "pt_BR": -3,  # Brasília
    "ja_JP": 9,
}


def hour_of_week_weights() -> F64:
    """Intensity of each local hour of the week (Monday 00:00 first), averaging 1."""
    hours = np.array(HOUR_WEIGHTS) / np.mean(HOUR_WEIGHTS)
    days = np.array(WEEKDAY_WEIGHTS) / np.mean(WEEKDAY_WEIGHTS)
    weights: F64 = np.outer(days, hours).ravel()
    return weights


@dataclass(frozen=True)
class ArrivalProfile:
    """Maps real time to operational time and back (both integer µs since the epoch).

    ``flat`` makes both maps the identity (a constant arrival rate).
    """

    flat: bool
    utc_offset_hours: int = 0

    @classmethod
    def for_shop(cls, locale: str, daily_profile: bool) -> ArrivalProfile:
        """The profile of a shop in ``locale``: daily rhythm or flat."""
        return cls(flat=not daily_profile, utc_offset_hours=UTC_OFFSET_HOURS[locale])

    @property
    def _origin(self) -> int:
        # Real time (µs) of a local Monday 00:00; operational time agrees with it there.
        return FIRST_MONDAY_MICROS - self.utc_offset_hours * HOUR_MICROS

    def to_operational(self, times: I64) -> I64:
        """Operational time Λ(t) of real times ``times`` (µs); non-decreasing in t."""
        if self.flat:
            return times
        weeks, within = np.divmod(times - self._origin, WEEK_MICROS)
        warped = np.interp(within.astype(np.float64), _KNOT_TIMES, _KNOT_CUMULATIVE)
        result: I64 = self._origin + weeks * WEEK_MICROS + np.rint(warped).astype(np.int64)
        return result

    def to_real(self, operational: I64) -> I64:
        """Real time Λ⁻¹(u) of operational times (µs): where arrivals land on the clock."""
        if self.flat:
            return operational
        weeks, within = np.divmod(operational - self._origin, WEEK_MICROS)
        real = np.interp(within.astype(np.float64), _KNOT_CUMULATIVE, _KNOT_TIMES)
        result: I64 = self._origin + weeks * WEEK_MICROS + np.rint(real).astype(np.int64)
        return result

    def operational_seconds(self, start_micros: int, span_seconds: float) -> float:
        """Operational length (s) of the real span from ``start_micros`` (µs) lasting
        ``span_seconds``: the span's expected orders over the mean order rate."""
        ends = np.array([start_micros, start_micros + round(span_seconds * MICROS)], np.int64)
        first, last = self.to_operational(ends)
        return float(last - first) / MICROS


_KNOT_TIMES: F64 = np.arange(7 * 24 + 1, dtype=np.float64) * HOUR_MICROS
_KNOT_CUMULATIVE: F64 = np.concatenate([[0.0], np.cumsum(hour_of_week_weights() * HOUR_MICROS)])
# Rounding must not leave the week a microsecond short (weeks would drift apart).
_KNOT_CUMULATIVE[-1] = float(WEEK_MICROS)
