"""Generating events for core tests, each one checked against the BigQuery schema."""

from __future__ import annotations

from typing import Any

from eventgen.shop.batches import EventBatch
from eventgen.shop.generation import EventStream
from eventgen.shop.options import GeneratorOptions
from eventgen.shop.schema import bigquery_schema
from tests.support.bigquery_schema import assert_loads

BIGQUERY_SCHEMA = bigquery_schema()


def generate_batches(
    options: GeneratorOptions, count: int, generator_id: str = "gen-0", batch: int = 10_000
) -> list[EventBatch]:
    """``count`` events of a new stream, asked for in batches of ``batch``."""
    stream = EventStream(options, generator_id)
    batches = []
    while count > 0:
        batches.append(stream.next_batch(min(batch, count)))
        count -= len(batches[-1])
    return batches


def payloads_of(batches: list[EventBatch]) -> list[bytes]:
    """All payloads of the batches, in order."""
    return [payload for batch in batches for payload in batch.payloads]


def loaded_events(payloads: list[bytes]) -> list[dict[str, Any]]:
    """Parse every payload, failing the test if any would not load into BigQuery."""
    return [assert_loads(payload, BIGQUERY_SCHEMA) for payload in payloads]
