"""Compact sequence runs count exactly what a set of every sequence would, in any order."""

from __future__ import annotations

import random

import pytest

from eventgen.audit.ranges import SequenceRanges
from eventgen.audit.tally import summarize


def naive(sequences: list[int]) -> tuple[list[tuple[int, int]], int]:
    """Runs and doubled count, the obvious way."""
    distinct = sorted(set(sequences))
    runs: list[tuple[int, int]] = []
    for s in distinct:
        if runs and runs[-1][1] == s:
            runs[-1] = (runs[-1][0], s + 1)
        else:
            runs.append((s, s + 1))
    return runs, len(sequences) - len(distinct)


def shapes(rng: random.Random) -> list[list[int]]:
    n = rng.randint(0, 400)
    base = list(range(n))
    shuffled = base[:]
    rng.shuffle(shuffled)
    holes = [s for s in base if rng.random() > 0.2]
    doubled = base + rng.sample(base, k=min(n, rng.randint(0, 30)))
    rng.shuffle(doubled)
    near = sorted(base, key=lambda s: s + rng.randint(-5, 5))  # mostly in order, some late
    backwards = base[::-1]
    blocks = [s for start in rng.sample(range(0, 400, 20), k=20) for s in range(start, start + 20)]
    repeats = [s for s in base for _ in range(rng.randint(1, 3))]
    sparse = rng.sample(range(10**12), k=min(n, 50))
    return [base, shuffled, holes, doubled, near, backwards, blocks, repeats, sparse]


@pytest.mark.parametrize("seed", range(30))
def test_runs_and_doubles_match_a_set_for_any_arrival_order(seed: int) -> None:
    rng = random.Random(seed)
    for sequences in shapes(rng):
        ranges = SequenceRanges()
        for s in sequences:
            ranges.add(s)
        assert (ranges.runs(), ranges.doubled) == naive(sequences)


def test_a_run_extending_into_an_earlier_run_counts_the_overlap_as_doubled() -> None:
    ranges = SequenceRanges()
    for s in [5, 6, 7, 8, 9, 3, 4, 5, 6, 10]:
        ranges.add(s)
    assert ranges.runs() == [(3, 11)]
    assert ranges.doubled == 2
    assert ranges.doubled_runs() == [(5, 7)]


@pytest.mark.parametrize("seed", range(20))
def test_doubled_runs_are_the_lowest_merged_runs_in_any_order(seed: int) -> None:
    rng = random.Random(seed)
    doubles = rng.sample(range(2000), k=rng.randint(0, 600))
    rng.shuffle(doubles)
    ranges = SequenceRanges()
    for s in [*range(2000), *doubles, *doubles[:50]]:
        ranges.add(s)
    assert ranges.doubled == len(doubles) + min(50, len(doubles))
    assert ranges.doubled_runs() == naive(doubles)[0]


def test_add_run_equals_adding_each_sequence() -> None:
    one, other = SequenceRanges(), SequenceRanges()
    for start, end in [(0, 10), (10, 20), (30, 40), (5, 15), (20, 30), (100, 101)]:
        one.add_run(start, end)
        for s in range(start, end):
            other.add(s)
    assert (one.runs(), one.doubled) == (other.runs(), other.doubled)


def test_a_complete_generator_of_any_size_is_one_run() -> None:
    ranges = SequenceRanges()
    ranges.add_run(0, 10**9)
    assert ranges.held_runs() == 1
    verdict = summarize("g", ranges)
    assert (verdict.expected, verdict.seen, verdict.missing) == (10**9, 10**9, 0)


def test_summary_lists_missing_ranges_from_zero_and_counts_them_all() -> None:
    ranges = SequenceRanges()
    present = [s for s in range(100) if not (s < 3 or 10 <= s < 12 or s % 20 == 19)]
    for s in present:
        ranges.add(s)
    verdict = summarize("g", ranges)
    assert verdict.expected == 99  # 99 is missing too, but nothing above it says so
    assert verdict.missing == 99 - len(present)
    assert verdict.missing_ranges == ((0, 2), (10, 11), (19, 19), (39, 39), (59, 59))
    assert verdict.missing_range_count == 6
