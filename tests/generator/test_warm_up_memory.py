"""The start-up's memory savings change nothing in the events: merged runs keep the order a
stable sort would give, and the warm-up's chunk size is invisible in the output."""

from __future__ import annotations

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st

from eventgen.shop.lifecycle import Lifecycle
from eventgen.shop.options import GeneratorOptions
from eventgen.shop.queue import EventQueue, _merged
from eventgen.shop.randomness import CounterRandom

# Few distinct keys, so ties (the case a merge can get wrong) are everywhere.
runs = st.lists(st.integers(min_value=-3, max_value=3), max_size=60).map(
    lambda keys: np.array(sorted(keys), dtype=np.int64)
)


@given(older=runs, newer=runs)
@settings(max_examples=300, deadline=None)
def test_a_merge_orders_like_a_stable_sort_of_both_runs(
    older: np.ndarray, newer: np.ndarray
) -> None:
    older_tags = np.arange(len(older), dtype=np.int64)
    newer_tags = np.arange(len(newer), dtype=np.int64) + 1000
    keys, tags = _merged(older, older_tags, newer, newer_tags)
    all_keys = np.concatenate([older, newer])
    order = np.argsort(all_keys, kind="stable")
    assert keys.tolist() == all_keys[order].tolist()
    assert tags.tolist() == np.concatenate([older_tags, newer_tags])[order].tolist()


def test_the_warm_up_chunk_changes_none_of_the_open_events() -> None:
    options = GeneratorOptions(seed=4, events_per_second=5_000, max_in_flight_orders=20_000)
    start = int(options.start.timestamp()) * 1_000_000

    def open_events(chunk: int) -> list[tuple[int, int, int]]:
        lifecycle = Lifecycle(options, CounterRandom(9))
        order_rate = lifecycle.order_rate(options.events_per_second)
        scale = lifecycle.delay_scale(order_rate)
        found = [
            (int(t), int(o), int(k))
            for events in lifecycle.warm_up(start, order_rate, scale, chunk=chunk)
            for o, k, t in zip(events.orders, events.types, events.times, strict=True)
        ]
        return sorted(found)

    whole = open_events(1 << 20)
    assert len(whole) > 10_000
    assert open_events(1000) == whole
    assert open_events(4096) == whole


def test_events_pushed_one_at_a_time_come_out_by_time_then_tag() -> None:
    queue = EventQueue()
    pushed = [(5, 0), (1, 1), (3, 6), (3, 2), (2, 4), (9, 5), (1, 3)]
    for key, tag in pushed:  # each push may merge runs
        queue.push(np.array([key], dtype=np.int64), np.array([tag], dtype=np.int64))
    queue.release(10)
    keys, tags = queue.pop(len(pushed))
    assert list(zip(keys.tolist(), tags.tolist(), strict=True)) == sorted(pushed)
