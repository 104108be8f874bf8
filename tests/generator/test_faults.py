"""Opt-in faults: duplicates, late events and malformed payloads at the configured rates."""

from __future__ import annotations

import json
from collections import Counter
from datetime import datetime, timedelta

import jsonschema
import pytest

from eventgen.shop.options import GeneratorOptions
from eventgen.shop.schema import bigquery_schema, json_schema
from tests.support.bigquery_schema import assert_loads, parse_event, schema_errors
from tests.support.event_streams import generate_batches, payloads_of

COUNT = 30_000
# Flat arrivals: the shares below were calibrated at a constant 200 events/s (a late event
# counts as out of order only if newer events overtake it, which depends on the density).
OPTIONS = GeneratorOptions(
    seed=5, events_per_second=200, max_in_flight_orders=50_000,
    duplicate_rate=0.03, late_rate=0.04, max_lateness_seconds=30, malformed_rate=0.02,
    daily_profile=False,
)  # fmt: skip


@pytest.fixture(scope="module")
def payloads() -> list[bytes]:
    return payloads_of(generate_batches(OPTIONS, COUNT, batch=7_000))


@pytest.fixture(scope="module")
def split(payloads: list[bytes]) -> tuple[list[dict[str, object]], int]:
    return _split(payloads)


def _split(payloads: list[bytes]) -> tuple[list[dict[str, object]], int]:
    """Well-formed events (checked against both schemas) and the number of malformed ones."""
    validator = jsonschema.Draft202012Validator(json_schema())
    good, bad = [], 0
    for payload in payloads:
        try:
            event = json.loads(payload)
        except ValueError:
            bad += 1
            continue
        if validator.is_valid(event):
            good.append(assert_loads(payload, bigquery_schema()))
        else:
            assert schema_errors(parse_event(payload), bigquery_schema())
            bad += 1
    return good, bad


def test_faults_are_off_by_default() -> None:
    clean = payloads_of(generate_batches(GeneratorOptions(max_in_flight_orders=50_000), 5_000))
    good, bad = _split(clean)
    assert bad == 0
    assert len({event["event_id"] for event in good}) == len(good)


def test_malformed_events_fail_validation_at_the_configured_rate(
    split: tuple[list[dict[str, object]], int],
) -> None:
    _, bad = split
    assert bad / COUNT == pytest.approx(0.02 / 1.03, abs=0.004)


def test_duplicates_repeat_an_emitted_event_with_a_new_sequence(
    split: tuple[list[dict[str, object]], int],
) -> None:
    good, _ = split
    first_seen: dict[object, dict[str, object]] = {}
    repeats = 0
    for event in good:
        original = first_seen.setdefault(event["event_id"], event)
        if original is not event:
            repeats += 1
            assert event["sequence"] > original["sequence"]  # type: ignore[operator]
            same = {k: v for k, v in event.items() if k != "sequence"}
            assert same == {k: v for k, v in original.items() if k != "sequence"}
    # A copy follows its original within 60 simulated seconds: among originals older than
    # that at the end of the sample, the configured share has been repeated.
    cutoff = datetime.fromisoformat(str(good[-1]["event_timestamp"])) - timedelta(seconds=60)
    old = [
        event
        for event_id, event in first_seen.items()
        if datetime.fromisoformat(str(event["event_timestamp"])) < cutoff
    ]
    repeated = Counter(event["event_id"] for event in good)
    share = sum(repeated[event["event_id"]] == 2 for event in old) / len(old)
    assert share == pytest.approx(0.03 / 0.98, abs=0.005)  # malformed ones are not in `good`
    assert repeats > 0
    assert max(Counter(event["event_id"] for event in good).values()) == 2


def test_late_events_are_older_than_their_neighbours_by_at_most_the_bound(
    split: tuple[list[dict[str, object]], int],
) -> None:
    good, _ = split
    bound = timedelta(seconds=OPTIONS.max_lateness_seconds)
    newest = datetime.fromisoformat(str(good[0]["event_timestamp"]))
    out_of_order = 0
    ids_seen: set[object] = set()
    for event in good:
        stamp = datetime.fromisoformat(str(event["event_timestamp"]))
        if stamp < newest and event["event_id"] not in ids_seen:
            out_of_order += 1
            assert newest - stamp <= bound
        ids_seen.add(event["event_id"])
        newest = max(newest, stamp)
    # Nearly every held-back event lands behind newer ones at 200 events/s.
    assert out_of_order / COUNT == pytest.approx(0.04 / 1.03, abs=0.006)


def test_sequence_stays_gap_free_over_everything_emitted() -> None:
    batches = generate_batches(OPTIONS, 5_000, batch=999)
    expected = 0
    for batch in batches:
        assert batch.first_sequence == expected
        for offset, payload in enumerate(batch.payloads):
            # Only parseable payloads carry their sequence; truncated ones are skipped.
            try:
                event = json.loads(payload)
            except ValueError:
                continue
            assert event["sequence"] == expected + offset
        expected += len(batch)
    assert expected == 5_000
