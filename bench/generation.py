"""Generation throughput on one core: columnar EventStream against a naive Faker baseline.

Both produce the same schema-v1 events as compact JSON bytes, measured in the same run on
the same (pinned) core. The baseline is what a first generator looks like: a Faker call per
field per event and ``json.dumps`` per event. Goal: the columnar path at least 100,000
events/s generated and serialized. Prints both rates, the ratio and one JSON line; anchors:
Google's Dataflow Streaming Data Generator documents ~2,500 events/s per core, and Faker
builds ~2,700 full profiles/s per core.
"""

from __future__ import annotations

import argparse
import json
import os
import time
from datetime import UTC, datetime, timedelta

from faker import Faker

from eventgen.shop.generation import EventStream
from eventgen.shop.model import STATUS_OF_EVENT, EventType, ProductCategory
from eventgen.shop.options import GeneratorOptions

GOAL_EVENTS_PER_SECOND = 100_000
DATAFLOW_GENERATOR_PER_CORE = 2_500
FAKER_PROFILES_PER_CORE = 2_700
BATCH = 50_000


def pin_to_one_core() -> str:
    """Pin this process to one CPU when the OS allows; return a note on what happened."""
    if not hasattr(os, "sched_setaffinity"):
        return "not pinned (no sched_setaffinity)"
    cpu = min(os.sched_getaffinity(0))
    os.sched_setaffinity(0, {cpu})
    return f"pinned to CPU {cpu}"


def naive_events(count: int, seed: int = 1) -> tuple[list[bytes], float]:
    """The baseline: Faker per field per event, ``json.dumps`` per event; (payloads, seconds)."""
    fake = Faker("en_US")
    fake.seed_instance(seed)
    types = list(EventType)
    categories = [category.value for category in ProductCategory]
    clock = datetime(2026, 1, 1, tzinfo=UTC)
    started = time.perf_counter()
    payloads = []
    for sequence in range(count):
        event_type = fake.random_element(types)
        quantity = fake.random_int(1, 5)
        price = fake.pydecimal(left_digits=3, right_digits=2, positive=True)
        clock += timedelta(microseconds=fake.random_int(1, 20_000))
        event = {
            "event_id": fake.uuid4(),
            "event_type": event_type.value,
            "event_timestamp": clock.isoformat(),
            "order_id": fake.bothify("ORD-################"),
            "customer_id": fake.bothify("CUST-########"),
            "product_id": fake.bothify("PROD-######"),
            "product_name": f"{fake.company()} {fake.word().title()}",
            "product_category": fake.random_element(categories),
            "quantity": quantity,
            "unit_price": str(price),
            "discount_amount": "0.00",
            "total_amount": str(price * quantity),
            "currency": fake.currency_code(),
            "payment_method": fake.random_element(["credit_card", "paypal", "debit_card"]),
            "status": STATUS_OF_EVENT[event_type].value,
            "country": fake.country_code(),
            "city": fake.city(),
            "device": fake.random_element(["mobile", "desktop", "tablet"]),
            "channel": fake.random_element(["direct", "email", "social"]),
            "generator_id": "bench-0",
            "sequence": sequence,
            "schema_version": 1,
        }
        payloads.append(json.dumps(event, separators=(",", ":")).encode())
    return payloads, time.perf_counter() - started


def columnar_events(count: int) -> tuple[list[bytes], float, float]:
    """The EventStream path; (payloads, seconds in steady state, start-up seconds)."""
    options = GeneratorOptions(seed=1, events_per_second=1_000)
    started = time.perf_counter()
    stream = EventStream(options, "bench-0")
    stream.next_batch(1)  # builds the pools and simulates the orders open at the start
    startup = time.perf_counter() - started
    payloads: list[bytes] = []
    started = time.perf_counter()
    while len(payloads) < count:
        payloads += stream.next_batch(min(BATCH, count - len(payloads))).payloads
    return payloads, time.perf_counter() - started, startup


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="bench.generation", description=__doc__)
    parser.add_argument("--quick", action="store_true", help="fewer events (a smoke run)")
    args = parser.parse_args(argv)
    naive_count, columnar_count = (5_000, 200_000) if args.quick else (20_000, 1_000_000)
    pinning = pin_to_one_core()
    naive, naive_seconds = naive_events(naive_count)
    columnar, columnar_seconds, startup = columnar_events(columnar_count)
    naive_rate = naive_count / naive_seconds
    columnar_rate = columnar_count / columnar_seconds
    ratio = columnar_rate / naive_rate
    mean_bytes = sum(map(len, columnar)) / len(columnar)
    naive_bytes = sum(map(len, naive)) / len(naive)
    meets = columnar_rate >= GOAL_EVENTS_PER_SECOND
    print(f"generation: one core ({pinning}), events generated and serialized to JSON bytes")
    print(f"  naive Faker + json:    {naive_rate:10,.0f} events/s ({naive_bytes:.0f} B)")
    print(f"  columnar EventStream:  {columnar_rate:10,.0f} events/s ({mean_bytes:.0f} B)")
    print(f"  ratio {ratio:.1f}x; start-up (pools + open orders) {startup:.2f} s")
    print(
        f"  {'meets' if meets else 'misses'} the {GOAL_EVENTS_PER_SECOND:,} events/s goal; "
        f"{columnar_rate / DATAFLOW_GENERATOR_PER_CORE:.0f}x Dataflow's generator "
        f"({DATAFLOW_GENERATOR_PER_CORE:,}/s/core), "
        f"{columnar_rate / FAKER_PROFILES_PER_CORE:.0f}x Faker profiles "
        f"({FAKER_PROFILES_PER_CORE:,}/s/core)"
    )
    print(
        json.dumps(
            {
                "bench": "generation",
                "pinning": pinning,
                "naive_events": naive_count,
                "columnar_events": columnar_count,
                "naive_events_per_s": round(naive_rate),
                "columnar_events_per_s": round(columnar_rate),
                "ratio": round(ratio, 1),
                "mean_event_bytes": round(mean_bytes),
                "startup_seconds": round(startup, 2),
                "goal_events_per_s": GOAL_EVENTS_PER_SECOND,
                "meets_goal": meets,
            }
        )
    )
    return 0 if meets else 1


if __name__ == "__main__":
    raise SystemExit(main())
