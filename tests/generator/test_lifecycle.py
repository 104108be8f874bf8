"""Lifecycle invariants a data engineer would check, over 200,000 generated events."""

from __future__ import annotations

import itertools
from collections import Counter, defaultdict
from datetime import datetime
from decimal import Decimal
from typing import Any

import pytest

from eventgen.shop.model import STATUS_OF_EVENT, EventType, ProductCategory
from eventgen.shop.options import GeneratorOptions
from tests.support.event_streams import generate_batches, loaded_events, payloads_of

FULL_PATHS = (
    ("order_placed", "payment_authorized", "order_shipped", "order_delivered", "order_refunded"),
    ("order_placed", "payment_authorized", "order_cancelled"),
    ("order_placed", "order_cancelled"),
)
# Enough events per simulated second for a busy shop, with room for every open order
# (no delay compression), so the documented delays hold as they are. Arrivals are flat:
# the shares below are those of a steady state, which a daily rhythm departs from over a
# 28-hour window (its own tests are in test_arrivals.py).
OPTIONS = GeneratorOptions(
    seed=11, events_per_second=2, cancel_rate=0.08, refund_rate=0.1,
    max_in_flight_orders=3_000_000, daily_profile=False,
)  # fmt: skip


@pytest.fixture(scope="module")
def events() -> list[dict[str, Any]]:
    return loaded_events(payloads_of(generate_batches(OPTIONS, 200_000, batch=25_000)))


@pytest.fixture(scope="module")
def orders(events: list[dict[str, Any]]) -> dict[str, list[dict[str, Any]]]:
    by_order: dict[str, list[dict[str, Any]]] = defaultdict(list)
    for event in events:
        by_order[event["order_id"]].append(event)
    return by_order


def _time(event: dict[str, Any]) -> datetime:
    return datetime.fromisoformat(event["event_timestamp"])


def test_events_come_out_in_timestamp_order(events: list[dict[str, Any]]) -> None:
    times = [_time(event) for event in events]
    assert times == sorted(times)
    assert times[0] >= OPTIONS.start


def test_each_order_follows_an_allowed_path_with_increasing_times(
    orders: dict[str, list[dict[str, Any]]],
) -> None:
    for order_id, steps in orders.items():
        types = tuple(event["event_type"] for event in steps)
        # Orders placed before the start show only the tail of their path.
        fits = any(
            path[i : i + len(types)] == types
            for path in FULL_PATHS
            for i in range(len(path))
            if i == 0 or types[0] != "order_placed"
        )
        assert fits, f"{order_id}: {types}"
        times = [_time(event) for event in steps]
        assert all(a < b for a, b in itertools.pairwise(times)), order_id


def test_status_matches_event_type(events: list[dict[str, Any]]) -> None:
    for event in events:
        assert event["status"] == STATUS_OF_EVENT[EventType(event["event_type"])].value


def test_order_attributes_are_the_same_in_every_event_of_an_order(
    orders: dict[str, list[dict[str, Any]]],
) -> None:
    fields = ("customer_id", "product_id", "quantity", "total_amount", "payment_method", "city")
    for steps in orders.values():
        assert len({tuple(event[f] for f in fields) for event in steps}) == 1


def test_totals_add_up_in_exact_two_decimal_money(events: list[dict[str, Any]]) -> None:
    discounted = 0
    for event in events:
        quantity, price = event["quantity"], Decimal(event["unit_price"])
        discount, total = Decimal(event["discount_amount"]), Decimal(event["total_amount"])
        assert total == quantity * price - discount
        assert Decimal(0) <= discount < quantity * price
        discounted += discount > 0
    assert 0.15 < discounted / len(events) < 0.25  # default discount_rate 0.2


def test_products_keep_name_category_and_price_and_categories_are_the_documented_set(
    events: list[dict[str, Any]],
) -> None:
    seen: dict[str, tuple[str, str, Decimal]] = {}
    for event in events:
        product = (event["product_name"], event["product_category"], event["unit_price"])
        assert seen.setdefault(event["product_id"], product) == product
    categories = {category for _, category, _ in seen.values()}
    assert categories == {category.value for category in ProductCategory}


def test_proportions_match_the_configured_rates(events: list[dict[str, Any]]) -> None:
    counts = Counter(event["event_type"] for event in events)
    # In steady state each event type's rate is the order rate times its share.
    cancel_share = counts["order_cancelled"] / counts["order_placed"]
    refund_share = counts["order_refunded"] / counts["order_delivered"]
    assert cancel_share == pytest.approx(OPTIONS.cancel_rate, abs=0.01)
    assert refund_share == pytest.approx(OPTIONS.refund_rate, abs=0.015)
    assert counts["order_shipped"] / counts["order_placed"] == pytest.approx(0.92, abs=0.02)


def test_delays_are_seconds_to_minutes_for_payment_and_hours_or_more_for_shipping(
    orders: dict[str, list[dict[str, Any]]],
) -> None:
    payment: list[float] = []
    shipping: list[float] = []
    delivery: list[float] = []
    for steps in orders.values():
        at = {event["event_type"]: _time(event) for event in steps}
        pairs = [
            ("order_placed", "payment_authorized", payment),
            ("payment_authorized", "order_shipped", shipping),
            ("order_shipped", "order_delivered", delivery),
        ]
        for first, second, delays in pairs:
            if first in at and second in at:
                delays.append((at[second] - at[first]).total_seconds())
    assert payment and shipping and delivery
    assert min(payment) >= 2 and max(payment) <= 1_800
    assert min(shipping) >= 3_600
    assert min(delivery) >= 6 * 3_600


def test_the_shop_is_in_steady_state_from_the_first_minute(events: list[dict[str, Any]]) -> None:
    first_minute = [e for e in events if (_time(e) - OPTIONS.start).total_seconds() < 60]
    types = {event["event_type"] for event in first_minute}
    assert {"order_placed", "payment_authorized", "order_shipped", "order_delivered"} <= types
    # About events_per_second events per simulated second.
    assert len(first_minute) == pytest.approx(60 * OPTIONS.events_per_second, rel=0.3)
