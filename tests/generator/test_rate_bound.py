"""The rate bound: an order's timestamps stay strictly increasing up to it, and nothing
accepts a rate beyond it (docs/runtime.md#bounds).

At 1e9 events/s, events of different steps of one order used to share a microsecond, and
at 1e12, 1.08 M events carried 26 distinct timestamps.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from itertools import pairwise

import orjson
import pytest

from eventgen.bounds import MAX_DENSITY, MAX_RATE
from eventgen.errors import LiveRateError
from eventgen.runtime.liverate import parse_rate
from eventgen.shop.generation import EventStream
from eventgen.shop.options import GeneratorOptions


@pytest.mark.parametrize("density", [MAX_RATE, MAX_DENSITY])
def test_at_the_bound_every_orders_timestamps_strictly_increase(density: float) -> None:
    # The smallest in-flight bound shrinks lifecycle delays the most: the worst case.
    options = GeneratorOptions(
        seed=5,
        start=dt.datetime(2026, 5, 1, tzinfo=dt.UTC),
        events_per_second=density,
        max_in_flight_orders=1_000,
        daily_profile=False,
    )
    stream = EventStream(options, "fast")
    stamps: dict[str, list[str]] = defaultdict(list)
    for payload in stream.next_batch(200_000).payloads:
        event = orjson.loads(payload)
        stamps[event["order_id"]].append(event["event_timestamp"])
    several = [times for times in stamps.values() if len(times) > 1]
    assert len(several) > 10_000
    for times in several:
        assert all(a < b for a, b in pairwise(times)), times


def test_the_generator_refuses_a_density_beyond_the_bound() -> None:
    with pytest.raises(ValueError, match="events_per_second"):
        GeneratorOptions(events_per_second=MAX_DENSITY * 2)
    stream = EventStream(GeneratorOptions(events_per_second=10), "g")
    with pytest.raises(ValueError, match="events_per_second"):
        stream.events_per_second = MAX_DENSITY * 2


@pytest.mark.parametrize("text", ["1000001", "1e9", "1e12"])
def test_a_live_rate_beyond_the_bound_is_refused_and_the_current_rate_stays(text: str) -> None:
    with pytest.raises(LiveRateError, match="1,000,000 events/s"):
        parse_rate(text, "rate file r")
    assert parse_rate(str(int(MAX_RATE)), "rate file r") == MAX_RATE


def test_the_crd_asks_no_pod_for_more_than_the_bound() -> None:
    from pathlib import Path

    import yaml

    crd = yaml.safe_load((Path(__file__).parents[2] / "crds" / "eventgenerators.yaml").read_text())
    spec = crd["spec"]["versions"][0]["schema"]["openAPIV3Schema"]["properties"]["spec"]
    assert spec["properties"]["maxRatePerReplica"]["maximum"] == MAX_RATE
