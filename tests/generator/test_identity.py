"""Event identity: different runs never share an event_id or order_id; a rerun repeats itself.

Two daily batches with one pinned seed used to share 96.7% of their event_ids, so a
warehouse deduplicating raw_events by event_id would drop a whole day (docs/events.md#identity).
"""

from __future__ import annotations

import datetime as dt
import itertools
from pathlib import Path
from typing import Any

import orjson
import pytest

from eventgen.cli.main import main
from eventgen.shop.generation import EventStream, batch_density
from eventgen.shop.identity import RunIdentity
from eventgen.shop.options import GeneratorOptions

SMALL_POOLS = GeneratorOptions(customer_pool_size=500, product_pool_size=50)
EVENTS_PER_RUN = 300


def batch_events(
    name: str, seed: int, start: dt.datetime, locale: str, shard: int, shard_count: int = 2
) -> list[bytes]:
    """One shard of a batch, built the way ``eventgen batch`` builds it."""
    options = SMALL_POOLS.model_copy(update={"seed": seed, "start": start, "locale": locale})
    total = EVENTS_PER_RUN * shard_count
    density = batch_density(options, EVENTS_PER_RUN, 86_400.0)
    options = options.model_copy(update={"events_per_second": density})
    run = RunIdentity(
        mode="batch", name=name, span_seconds=86_400.0, events=total, shard_count=shard_count
    )
    return EventStream(options, f"{name}-shard-{shard}", run).next_batch(EVENTS_PER_RUN).payloads


NAMES = ("orders", "orders-eu", "o")
SEEDS = (0, 7, 2**62)
STARTS = (
    dt.datetime(2026, 3, 1, tzinfo=dt.UTC),
    dt.datetime(2026, 3, 2, tzinfo=dt.UTC),
    dt.datetime(2026, 3, 1, 0, 0, 0, 1, tzinfo=dt.UTC),  # one microsecond later
)
LOCALES = ("en_US", "de_DE")
SHARDS = (0, 1)


def test_no_two_runs_of_108_combinations_share_an_event_id_or_an_order_id() -> None:
    seen_events: dict[str, tuple[object, ...]] = {}
    seen_orders: dict[str, tuple[object, ...]] = {}
    combinations = list(itertools.product(NAMES, SEEDS, STARTS, LOCALES, SHARDS))
    assert len(combinations) == 108
    for combination in combinations:
        orders_here: set[str] = set()
        for payload in batch_events(*combination):
            event = orjson.loads(payload)
            other = seen_events.setdefault(event["event_id"], combination)
            assert other == combination, f"{combination} repeats an event_id of {other}"
            orders_here.add(event["order_id"])
        for order_id in orders_here:
            other = seen_orders.setdefault(order_id, combination)
            assert other == combination, f"{combination} repeats an order_id of {other}"
    assert len(seen_events) == 108 * EVENTS_PER_RUN


@pytest.mark.parametrize(
    "combination",
    [
        ("orders", 7, STARTS[0], "en_US", 0),
        ("o", 2**62, STARTS[2], "de_DE", 1),
    ],
)
def test_a_rerun_of_the_same_shard_is_byte_identical(combination: tuple[object, ...]) -> None:
    first = batch_events(*combination)  # type: ignore[arg-type]
    assert batch_events(*combination) == first  # type: ignore[arg-type]


def test_a_run_differs_from_another_in_any_option_span_size_or_mode() -> None:
    options = SMALL_POOLS.model_copy(
        update={"seed": 3, "start": STARTS[0], "events_per_second": 0.01}
    )
    base = RunIdentity(mode="batch", name="n", span_seconds=86_400.0, events=10, shard_count=1)

    def ids(opts: GeneratorOptions, run: RunIdentity, generator_id: str = "g") -> set[str]:
        batch = EventStream(opts, generator_id, run).next_batch(50)
        return {orjson.loads(p)["event_id"] for p in batch.payloads}

    reference = ids(options, base)
    variants = [
        ids(options.model_copy(update={"cancel_rate": 0.1}), base),
        ids(options.model_copy(update={"daily_profile": False}), base),
        ids(options, RunIdentity("batch", "n", 3_600.0, 10, 1)),
        ids(options, RunIdentity("batch", "n", 86_400.0, 11, 1)),
        ids(options, RunIdentity("batch", "n", 86_400.0, 10, 2)),
        ids(options, RunIdentity("stream", "n")),
        ids(options, base, generator_id="g2"),
    ]
    for variant in variants:
        assert not reference & variant
    # The live rate is not identity: a stream keeps its ids whatever rate it starts at.
    faster = options.model_copy(update={"events_per_second": 0.02})
    stream = RunIdentity("stream", "n")
    first = EventStream(options, "g", stream).next_batch(1).payloads[0]
    again = EventStream(faster, "g", stream).next_batch(1).payloads[0]
    assert orjson.loads(first)["event_id"] == orjson.loads(again)["event_id"]


def run_daily_batch(
    day: dt.date, folder: Path, monkeypatch: pytest.MonkeyPatch
) -> list[dict[str, Any]]:
    monkeypatch.setenv("EVENTGEN_METRICS_PORT", "0")
    code = main(
        [
            "batch",
            "--name",
            "daily",
            "--seed",
            "42",
            "--events",
            "2000",
            "--shard-count",
            "2",
            "--shard-index",
            "1",
            "--start",
            day.isoformat(),
            "--customer-pool-size",
            "2000",
            "--output",
            f"{folder}/",
        ]
    )
    assert code == 0
    [part] = folder.iterdir()
    return [orjson.loads(line) for line in part.read_bytes().splitlines()]


def test_thirty_daily_batches_with_one_fixed_seed_share_no_event_id(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    first_day = dt.date(2026, 1, 1)
    event_ids: set[str] = set()
    order_ids: dict[str, dt.date] = {}
    products: dict[str, str] = {}
    for offset in range(30):
        day = first_day + dt.timedelta(days=offset)
        events = run_daily_batch(day, tmp_path / day.isoformat(), monkeypatch)
        assert len(events) == 1000
        ids = {event["event_id"] for event in events}
        assert len(ids) == len(events)
        assert not event_ids & ids, f"{day} repeats event_ids of an earlier day"
        event_ids |= ids
        for event in events:
            assert order_ids.setdefault(event["order_id"], day) == day, "order_id reused"
            # The shop stays the same: a product keeps its name from day to day (joins work).
            assert (
                products.setdefault(event["product_id"], event["product_name"])
                == (event["product_name"])
            )
    assert len(event_ids) == 30_000
    # The generator and sequence repeat per day by design: completeness is per day and shard.
    assert {event["generator_id"] for event in events} == {"daily-shard-1"}
