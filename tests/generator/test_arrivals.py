"""The daily and weekly rhythm of order arrivals, as a data engineer would count it."""

from __future__ import annotations

import json
from collections import Counter
from datetime import UTC, datetime, timedelta
from pathlib import Path

import numpy as np
import pytest

from eventgen.shop.arrivals import HOUR_MICROS, UTC_OFFSET_HOURS, WEEK_MICROS, ArrivalProfile
from eventgen.shop.generation import EventStream, batch_density
from eventgen.shop.locales import SUPPORTED_LOCALES
from eventgen.shop.options import GeneratorOptions
from tests.support.cli_process import run_eventgen

MONDAY = datetime(2026, 1, 5, tzinfo=UTC)
NIGHT = range(1, 5)  # 01:00-04:59 local
EVENING = range(19, 23)  # 19:00-22:59 local
EVENTS = 120_000


def placed_hours(daily_profile: bool, locale: str = "en_GB") -> list[datetime]:
    """Placement times of a week-long batch of EVENTS events from a Monday 00:00 UTC."""
    options = GeneratorOptions(
        seed=3, locale=locale, start=MONDAY, daily_profile=daily_profile, customer_pool_size=1_000
    )
    density = batch_density(options, EVENTS, 7 * 86_400)
    options = options.model_copy(update={"events_per_second": density})
    stream = EventStream(options, "gen-week")
    placed: list[datetime] = []
    for _ in range(EVENTS // 20_000):
        for payload in stream.next_batch(20_000).payloads:
            event = json.loads(payload)
            if event["event_type"] == "order_placed":
                placed.append(datetime.fromisoformat(event["event_timestamp"]))
    return placed


@pytest.fixture(scope="module")
def profiled() -> list[datetime]:
    return placed_hours(daily_profile=True)


def share_of_hours(placed: list[datetime], hours: range, offset_hours: int = 0) -> float:
    local = [stamp + timedelta(hours=offset_hours) for stamp in placed]
    return sum(stamp.hour in hours for stamp in local) / len(placed)


def test_nights_are_quiet_and_evenings_busy_with_the_profile(profiled: list[datetime]) -> None:
    night, evening = share_of_hours(profiled, NIGHT), share_of_hours(profiled, EVENING)
    # Profile weights: about 0.2 of the mean rate at night, 1.5 in the evening.
    assert evening > 4 * night
    assert 0.01 < night < 0.05
    assert 0.20 < evening < 0.30


def test_without_the_profile_every_hour_is_as_busy() -> None:
    flat = placed_hours(daily_profile=False)
    night, evening = share_of_hours(flat, NIGHT), share_of_hours(flat, EVENING)
    assert night == pytest.approx(4 / 24, rel=0.1)
    assert evening == pytest.approx(4 / 24, rel=0.1)


def test_mondays_are_busier_than_saturdays(profiled: list[datetime]) -> None:
    days = Counter(stamp.weekday() for stamp in profiled)
    assert days[0] > 1.08 * days[5]  # weights 1.06 and 0.90


def test_the_week_is_filled_to_its_end_and_no_further(profiled: list[datetime]) -> None:
    end = MONDAY + timedelta(days=7)
    assert min(profiled) < MONDAY + timedelta(minutes=10)
    assert end - timedelta(hours=4) < max(profiled) < end + timedelta(hours=4)


def test_the_profile_follows_the_locales_local_time() -> None:
    # A Japanese shop's evening is late morning in UTC.
    placed = placed_hours(daily_profile=True, locale="ja_JP")
    night = share_of_hours(placed, NIGHT, UTC_OFFSET_HOURS["ja_JP"])
    evening = share_of_hours(placed, EVENING, UTC_OFFSET_HOURS["ja_JP"])
    assert evening > 4 * night
    assert share_of_hours(placed, EVENING) < share_of_hours(placed, NIGHT)


def test_warping_keeps_whole_weeks_and_days_and_round_trips() -> None:
    for locale in SUPPORTED_LOCALES:
        profile = ArrivalProfile.for_shop(locale, daily_profile=True)
        times = np.arange(0, 3 * WEEK_MICROS, 7_919_999_999, dtype=np.int64) + 1_767_225_600_000_000
        operational = profile.to_operational(times)
        assert (np.diff(operational) > 0).all()
        assert np.abs(profile.to_real(operational) - times).max() <= 10  # µs of rounding
        assert profile.operational_seconds(int(times[5]), WEEK_MICROS / 1e6) == pytest.approx(
            WEEK_MICROS / 1e6, abs=1e-5
        )
    flat = ArrivalProfile.for_shop("en_US", daily_profile=False)
    assert flat.operational_seconds(12_345 * HOUR_MICROS, 3_600.0) == 3_600.0


def test_a_one_day_batch_on_a_quiet_saturday_still_spans_the_day(tmp_path: Path) -> None:
    # The batch scales its density by the day's operational length, so a quieter weekday
    # has fewer events per hour, not events that run past midnight or stop at 9 pm.
    result = run_eventgen(
        ["batch", "--events", "20000", "--start", "2026-01-10", "--span", "1d",
         "--locale", "en_GB", "--customer-pool-size", "1000",
         "--output", str(tmp_path / "day.jsonl")],
    )  # fmt: skip
    assert result.returncode == 0, result.stderr
    events = [json.loads(line) for line in (tmp_path / "day.jsonl").open()]
    assert len(events) == 20_000
    placed = [
        datetime.fromisoformat(e["event_timestamp"])
        for e in events
        if e["event_type"] == "order_placed"
    ]
    end = datetime(2026, 1, 11, tzinfo=UTC)
    assert end - timedelta(minutes=45) < max(placed) < end + timedelta(minutes=45)
    assert share_of_hours(placed, EVENING) > 4 * share_of_hours(placed, NIGHT)


def test_a_stream_refuses_the_daily_profile(tmp_path: Path) -> None:
    result = run_eventgen(["stream", "--events", "5", "--daily-profile", "true"], cwd=tmp_path)
    assert result.returncode == 2
    lines = result.stderr.decode().splitlines()
    assert lines == [
        "eventgen: error: --daily-profile: a stream keeps the flat rate --rate sets; "
        "the daily profile is for batch"
    ]
    assert result.stdout == b""


def test_a_bad_daily_profile_value_is_a_usage_error(tmp_path: Path) -> None:
    result = run_eventgen(["batch", "--events", "5", "--daily-profile", "maybe"], cwd=tmp_path)
    assert result.returncode == 2
    assert "--daily-profile" in result.stderr.decode()
    assert "expected true or false" in result.stderr.decode()
