"""Locales change cities, brands and currency; bad options are rejected with the field named."""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal

import pytest
from pydantic import ValidationError

from eventgen.shop.options import GeneratorOptions
from tests.support.event_streams import generate_batches, loaded_events, payloads_of


def _events(locale: str) -> list[dict[str, object]]:
    options = GeneratorOptions(locale=locale, seed=2, max_in_flight_orders=20_000)
    return loaded_events(payloads_of(generate_batches(options, 2_000)))


@pytest.mark.parametrize(
    ("locale", "currency", "country"),
    [
        ("en_US", "USD", "US"),
        ("de_DE", "EUR", "DE"),
        ("fr_FR", "EUR", "FR"),
        ("ja_JP", "JPY", "JP"),
    ],
)
def test_locale_sets_currency_and_country(locale: str, currency: str, country: str) -> None:
    events = _events(locale)
    assert {event["currency"] for event in events} == {currency}
    assert {event["country"] for event in events} == {country}
    assert len({event["city"] for event in events}) > 20


def test_japanese_shop_has_japanese_cities_and_whole_yen_prices() -> None:
    events = _events("ja_JP")
    assert any(any(ord(ch) > 0x3000 for ch in str(event["city"])) for event in events)
    for event in events:
        for key in ("unit_price", "discount_amount", "total_amount"):
            assert Decimal(str(event[key])) % 1 == 0


def test_german_shop_has_other_cities_than_the_american_one() -> None:
    german = {event["city"] for event in _events("de_DE")}
    american = {event["city"] for event in _events("en_US")}
    assert not german & american


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("locale", "xx_XX"),
        ("cancel_rate", 1.5),
        ("refund_rate", -0.1),
        ("seed", -1),
        ("events_per_second", 0),
        ("customer_pool_size", 0),
        ("max_lateness_seconds", 0),
        ("unknown_option", 1),
    ],
)
def test_bad_options_are_rejected_naming_the_field(field: str, value: object) -> None:
    with pytest.raises(ValidationError, match=field):
        GeneratorOptions(**{field: value})  # type: ignore[arg-type]


def test_fault_rates_must_fit_in_one() -> None:
    with pytest.raises(ValidationError, match="must be <= 1"):
        GeneratorOptions(duplicate_rate=0.5, late_rate=0.4, malformed_rate=0.2)


def test_naive_start_is_taken_as_utc() -> None:
    options = GeneratorOptions(start=datetime(2026, 3, 1, 12, 0))
    assert options.start == datetime(2026, 3, 1, 12, 0, tzinfo=UTC)
