"""The shape's arithmetic on a simulated clock: factors, composition, integral, peak, changes."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest

from eventgen.errors import ConfigError
from eventgen.shape.curve import Curve
from eventgen.shape.document import parse_shape
from eventgen.shop.arrivals import HOUR_WEIGHTS, WEEKDAY_WEIGHTS

# Monday 2026-11-23 00:00 UTC.
MONDAY = dt.datetime(2026, 11, 23, tzinfo=dt.UTC).timestamp()
HOUR = 3600.0
DAY = 24 * HOUR


def curve(document: Any, offset: int = 0, anchor: float = MONDAY) -> Curve:
    return Curve(parse_shape(document, "test"), utc_offset_hours=offset, anchor=anchor)


def hour_weight(hour: int, weekday: int = 0) -> float:
    hours = sum(HOUR_WEIGHTS) / len(HOUR_WEIGHTS)
    days = sum(WEEKDAY_WEIGHTS) / len(WEEKDAY_WEIGHTS)
    return HOUR_WEIGHTS[hour] / hours * WEEKDAY_WEIGHTS[weekday] / days


def test_the_empty_shape_leaves_the_base_rate_as_it_is() -> None:
    flat = curve({})
    assert flat.factor(MONDAY + 12_345) == 1.0
    assert flat.integral(MONDAY, MONDAY + 100) == pytest.approx(100)
    assert flat.next_change(MONDAY) is None


@pytest.mark.parametrize(
    ("offset", "utc_hour", "local_hour"), [(0, 20, 20), (-5, 1, 20), (9, 11, 20)]
)
def test_the_daily_rhythm_is_the_batchs_in_the_shops_local_time(
    offset: int, utc_hour: int, local_hour: int
) -> None:
    # Tuesday in UTC; for en_US at 01:00 UTC it is still Monday 20:00 locally.
    moment = MONDAY + DAY + utc_hour * HOUR + 600
    local_weekday = 0 if offset < 0 else 1
    assert curve({"daily": True}, offset).factor(moment) == pytest.approx(
        hour_weight(local_hour, local_weekday)
    )


def test_the_daily_rhythm_averages_1_over_a_week_so_the_base_is_the_weekly_mean() -> None:
    daily = curve({"daily": True}, -5)
    assert daily.integral(MONDAY + 1234, MONDAY + 1234 + 7 * DAY) == pytest.approx(7 * DAY)


def test_stages_step_and_ramp_from_the_level_before_then_hold_the_last() -> None:
    shape = {
        "stages": [
            {"factor": 3, "durationSeconds": 100, "ramp": True},
            {"factor": 0.5, "durationSeconds": 50},
        ]
    }
    staged = curve(shape)
    assert staged.factor(MONDAY - 1) == 1.0  # before the start: the base as it is
    assert staged.factor(MONDAY) == pytest.approx(1.0)
    assert staged.factor(MONDAY + 50) == pytest.approx(2.0)  # half way from 1 to 3
    assert staged.factor(MONDAY + 120) == 0.5
    assert staged.factor(MONDAY + 10 * DAY) == 0.5  # the last stage holds
    assert staged.integral(MONDAY, MONDAY + 150) == pytest.approx(200 + 25)


def test_repeated_stages_cycle_and_the_first_ramps_from_the_last() -> None:
    shape = {
        "stages": [
            {"factor": 2, "durationSeconds": 10, "ramp": True},
            {"factor": 0, "durationSeconds": 10},
        ],
        "repeatStages": True,
    }
    cyclic = curve(shape)
    assert cyclic.factor(MONDAY + 5) == pytest.approx(1.0)  # from 0 (the last) toward 2
    assert cyclic.factor(MONDAY + 15) == 0.0
    assert cyclic.factor(MONDAY + 1000 + 5) == pytest.approx(1.0)
    assert cyclic.integral(MONDAY, MONDAY + 2000) == pytest.approx(1000)


def test_a_daily_burst_at_local_time_multiplies_for_its_duration_and_may_cross_midnight() -> None:
    shape = {
        "bursts": [
            {"at": "20:00", "every": "day", "durationSeconds": 1800, "factor": 5},
            {"at": "23:30", "every": "day", "durationSeconds": 3600, "factor": 2},
        ]
    }
    sale = curve(shape, offset=1)  # local = UTC + 1
    assert sale.factor(MONDAY + 19 * HOUR + 60) == 5.0  # 20:01 local
    assert sale.factor(MONDAY + 19 * HOUR + 1800) == 1.0  # ended at 20:30
    assert sale.factor(MONDAY + 3 * DAY + 19 * HOUR + 5) == 5.0  # every day
    assert sale.factor(MONDAY + 23 * HOUR + 10) == 2.0  # 00:00:10 local, next day
    assert sale.factor(MONDAY + 23 * HOUR + 1800) == 1.0


def test_weekly_and_one_time_bursts_and_overlaps_multiply() -> None:
    shape = {
        "bursts": [
            {
                "at": "12:00",
                "every": "week",
                "weekday": "friday",
                "durationSeconds": 600,
                "factor": 3,
            },
            {"at": "2026-11-27T12:05:00Z", "durationSeconds": 600, "factor": 4},
        ]
    }
    both = curve(shape)
    friday_noon = MONDAY + 4 * DAY + 12 * HOUR
    assert both.factor(friday_noon + 1) == 3.0
    assert both.factor(friday_noon + 301) == 12.0  # overlap: 3 x 4
    assert both.factor(friday_noon + 601) == 4.0
    assert both.factor(friday_noon + 7 * DAY + 1) == 3.0  # next week, the one-time one is gone
    assert both.factor(friday_noon + 7 * DAY + 301) == 3.0


def test_rhythm_stages_and_bursts_compose_by_multiplication() -> None:
    shape = {
        "daily": True,
        "stages": [{"factor": 2, "durationSeconds": DAY}],
        "bursts": [{"at": "20:00", "every": "day", "durationSeconds": 1800, "factor": 5}],
    }
    moment = MONDAY + 20 * HOUR + 60
    assert curve(shape).factor(moment) == pytest.approx(hour_weight(20) * 2 * 5)


def test_time_scale_runs_a_day_of_shape_in_a_minute_of_wall_time() -> None:
    shape = {
        "daily": True,
        "timeScale": 1440,
        "bursts": [{"at": "20:00", "every": "day", "durationSeconds": 1800, "factor": 5}],
    }
    fast = curve(shape)
    # 20:00 of shape time is 50 s of wall time after a midnight origin; the burst lasts 1.25 s.
    assert fast.factor(MONDAY + 50.5) == pytest.approx(hour_weight(20) * 5)
    assert fast.factor(MONDAY + 51.5) == pytest.approx(hour_weight(20))
    # A compressed week integrates like a real one: mean 1, plus the bursts' extra.
    week = fast.integral(MONDAY, MONDAY + 7 * 60)
    extra = sum(hour_weight(20, day) * 4 * 1.25 for day in range(7))
    assert week == pytest.approx(7 * 60 + extra, rel=1e-9)


def test_the_integral_is_exact_against_a_fine_riemann_sum() -> None:
    shape = {
        "daily": True,
        "stages": [
            {"factor": 4, "durationSeconds": 7000, "ramp": True},
            {"factor": 1, "durationSeconds": 5000, "ramp": True},
        ],
        "repeatStages": True,
        "bursts": [{"at": "01:30", "every": "day", "durationSeconds": 900, "factor": 3}],
    }
    c = curve(shape, offset=-5)
    begin, end = MONDAY + 5 * HOUR + 17, MONDAY + 9 * HOUR + 1
    step = 0.5
    riemann = sum(
        c.factor(begin + (i + 0.5) * step) * step for i in range(int((end - begin) / step))
    )
    assert c.integral(begin, end) == pytest.approx(riemann, rel=1e-4)


def test_the_peak_of_a_window_sees_a_burst_ahead_and_not_one_behind() -> None:
    shape = {"bursts": [{"at": "20:00", "every": "day", "durationSeconds": 1800, "factor": 5}]}
    sale = curve(shape)
    assert sale.peak(MONDAY + 19 * HOUR + 3500, MONDAY + 19 * HOUR + 3500 + 300) == 5.0
    assert sale.peak(MONDAY + 20 * HOUR + 1800, MONDAY + 20 * HOUR + 2100) == 1.0
    ramp = curve({"stages": [{"factor": 10, "durationSeconds": 1000, "ramp": True}]})
    assert ramp.peak(MONDAY, MONDAY + 300) == pytest.approx(1 + 9 * 0.3)


def test_the_next_change_names_the_time_and_the_factor() -> None:
    shape = {"bursts": [{"at": "20:00", "every": "day", "durationSeconds": 1800, "factor": 5}]}
    sale = curve(shape)
    change = sale.next_change(MONDAY + 3 * HOUR)
    assert change is not None
    assert change.at == pytest.approx(MONDAY + 20 * HOUR)
    assert change.factor == 5.0
    during = sale.next_change(MONDAY + 20 * HOUR + 10)
    assert during is not None
    assert during.at == pytest.approx(MONDAY + 20 * HOUR + 1800)
    assert during.factor == 1.0
    ramp = curve(
        {
            "stages": [
                {"factor": 1, "durationSeconds": 60},
                {"factor": 4, "durationSeconds": 60, "ramp": True},
            ]
        }
    )
    heading = ramp.next_change(MONDAY + 1)
    assert heading is not None
    assert heading.at == pytest.approx(MONDAY + 60)
    assert heading.factor == pytest.approx(4.0)
    assert ramp.next_change(MONDAY + 200) is None  # after the last stage, it holds


@pytest.mark.parametrize(
    ("document", "says"),
    [
        ({"stages": [{"factor": -1, "durationSeconds": 10}]}, "shape.stages[0].factor"),
        ({"stages": [{"factor": 1001, "durationSeconds": 10}]}, "less than or equal to 1000"),
        ({"stages": [{"factor": 1, "durationSeconds": 0}]}, "shape.stages[0].durationSeconds"),
        ({"stages": [{"factor": 1}]}, "durationSeconds: Field required"),
        ({"stages": [{"factor": 1, "durationSeconds": 1, "rate": 5}]}, "rate: Extra inputs"),
        ({"repeatStages": True}, "repeatStages needs stages"),
        ({"timeScale": 0.5}, "shape.timeScale"),
        ({"timeScale": 1e9}, "shape.timeScale"),
        ({"start": "2026-11-27T12:00:00"}, "give a zone"),
        (
            {"bursts": [{"at": "25:00", "every": "day", "durationSeconds": 1, "factor": 2}]},
            "local HH:MM",
        ),
        ({"bursts": [{"at": "20:00", "durationSeconds": 1, "factor": 2}]}, "RFC 3339"),
        (
            {"bursts": [{"at": 1200, "every": "day", "durationSeconds": 1, "factor": 2}]},
            "in quotes",
        ),
        (
            {"bursts": [{"at": "20:00", "every": "week", "durationSeconds": 1, "factor": 2}]},
            "weekday is required",
        ),
        (
            {
                "bursts": [
                    {
                        "at": "20:00",
                        "every": "day",
                        "weekday": "monday",
                        "durationSeconds": 1,
                        "factor": 2,
                    }
                ]
            },
            "weekday is required",
        ),
        (
            {
                "bursts": [
                    {
                        "at": "2026-11-27T12:00:00Z",
                        "weekday": "monday",
                        "durationSeconds": 1,
                        "factor": 2,
                    }
                ]
            },
            "weekday needs every",
        ),
        (
            {"bursts": [{"at": "20:00", "every": "day", "durationSeconds": 90000, "factor": 2}]},
            "overlap itself",
        ),
        (
            {
                "bursts": [
                    {
                        "at": "20:00",
                        "every": "week",
                        "weekday": "funday",
                        "durationSeconds": 1,
                        "factor": 2,
                    }
                ]
            },
            "weekday",
        ),
        ({"bursts": [{"at": "2026-11-27", "durationSeconds": 1, "factor": 2}]}, "give a zone"),
        ({"daily": "sometimes"}, "shape.daily"),
        ([1, 2], "a shape is a mapping"),
        ("{stages: [", "not YAML or JSON"),
    ],
)
def test_bad_shapes_are_refused_naming_the_field(document: object, says: str) -> None:
    with pytest.raises(ConfigError, match=r"^src: ") as raised:
        parse_shape(document, "src")
    assert says in str(raised.value)
    assert "\n" not in str(raised.value)


def test_yaml_with_unquoted_times_and_the_compact_document_round_trip() -> None:
    text = """
daily: true
start: 2026-11-23T00:00:00Z
bursts:
  - {at: 2026-11-27T12:05:00Z, durationSeconds: 600, factor: 4}
"""
    shape = parse_shape(text, "file")
    assert shape.start == dt.datetime(2026, 11, 23, tzinfo=dt.UTC)
    assert parse_shape(shape.document(), "again") == shape
    assert parse_shape("", "empty").flat


def test_compressed_shapes_at_real_unix_times_still_see_their_steps() -> None:
    # At Unix times a float moves in steps of 2.4e-7 s; a nudge of a microsecond of shape
    # time at x360 is smaller than that and once hid every change (next_change said None).
    shape = {
        "daily": True,
        "timeScale": 360,
        "bursts": [{"at": "20:00", "every": "day", "durationSeconds": 3600, "factor": 3}],
    }
    fast = curve(shape)
    change = fast.next_change(MONDAY + 7)
    assert change is not None
    assert change.at == pytest.approx(MONDAY + 10)  # the next local hour: 3600 s / 360
    assert change.factor == pytest.approx(hour_weight(1))
    burst = MONDAY + 20 * HOUR / 360
    assert fast.peak(burst - 5, burst + 0.001) == pytest.approx(hour_weight(20) * 3)
    assert fast.peak(burst - 5, burst) == pytest.approx(hour_weight(19))
