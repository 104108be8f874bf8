"""Open orders stay under max_in_flight_orders: delays shrink instead of memory growing."""

from __future__ import annotations

from datetime import datetime

from eventgen.shop.generation import EventStream
from eventgen.shop.options import GeneratorOptions
from tests.support.event_streams import loaded_events

CAP = 5_000


def test_a_busy_stream_keeps_its_open_events_bounded_and_its_steps_in_order() -> None:
    stream = EventStream(
        GeneratorOptions(seed=9, events_per_second=2_000, max_in_flight_orders=CAP), "busy"
    )
    sizes = []
    placed_at: dict[str, datetime] = {}
    shipped_after: list[float] = []
    for _ in range(20):
        for event in loaded_events(stream.next_batch(10_000).payloads):
            at = datetime.fromisoformat(event["event_timestamp"])
            if event["event_type"] == "order_placed":
                placed_at[event["order_id"]] = at
            elif event["event_type"] == "order_shipped" and event["order_id"] in placed_at:
                shipped_after.append((at - placed_at[event["order_id"]]).total_seconds())
        sizes.append(stream.open_events)
    # About 2.5 waiting events per open order, whatever the length of the run.
    assert max(sizes) < 4 * CAP
    assert max(sizes[10:]) < 1.5 * max(sizes[:10])
    # Shipping still follows placement, only sooner than the unscaled hours to days.
    assert shipped_after and min(shipped_after) > 0
    assert max(shipped_after) < 3_600


def test_a_quiet_stream_starts_with_all_the_orders_a_real_shop_would_have_open() -> None:
    options = GeneratorOptions(seed=9, events_per_second=1, max_in_flight_orders=CAP * 100)
    stream = EventStream(options, "quiet")
    stream.next_batch(1)
    # 0.25 orders/s x 3.4 days ~ 73,000 open orders (under the cap, so delays are not
    # scaled), with about 2.5 events each still to come.
    assert 50_000 < stream.open_events < 400_000
