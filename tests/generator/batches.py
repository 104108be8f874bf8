"""Small hand-made EventBatches for sink tests (the sinks only see bytes and counts)."""

from __future__ import annotations

import json

from eventgen.shop.batches import EventBatch


def make_batch(
    count: int, first: int = 0, generator_id: str = "gen-0", pad: int = 40
) -> EventBatch:
    """``count`` events with consecutive ``sequence`` from ``first``; ``pad`` sizes each line."""
    payloads = [
        json.dumps(
            {"generator_id": generator_id, "sequence": seq, "order_id": f"o{seq}", "x": "y" * pad},
            separators=(",", ":"),
        ).encode()
        for seq in range(first, first + count)
    ]
    return EventBatch(
        generator_id=generator_id,
        first_sequence=first,
        payloads=payloads,
        event_types=["order_placed"] * count,
        order_ids=[f"o{seq}" for seq in range(first, first + count)],
    )


def sequences(lines: bytes) -> list[int]:
    """The ``sequence`` of every JSONL line in ``lines``."""
    return [json.loads(line)["sequence"] for line in lines.splitlines()]
