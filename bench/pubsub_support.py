"""Shared by the Pub/Sub benchmarks: realistic events and a local server in another process."""

from __future__ import annotations

import itertools
import os
from collections.abc import Iterator
from contextlib import contextmanager

from google.cloud import pubsub_v1

from eventgen.shop.batches import EventBatch
from eventgen.shop.generation import EventStream
from eventgen.shop.options import GeneratorOptions
from tests.support.pubsub_process import PubSubProcess

PROJECT = "bench"
TOPIC = "events"
BATCH = 1000


class EventPool:
    """Events from the real generator, drawn once and then replayed as endless batches.

    Generating costs more per event than publishing, so a benchmark of publishing replays a
    pool (``size`` events) with fresh sequence numbers instead of generating as it goes.
    Payloads are copied into each batch, so that memory held by a sink counts as it would
    with a generator that makes new payloads every time.
    """

    def __init__(self, size: int, generator_id: str = "bench-0") -> None:
        stream = EventStream(GeneratorOptions.model_validate({"seed": 1}), generator_id)
        batch = stream.next_batch(size)
        self.generator_id = generator_id
        self.payloads = batch.payloads
        self.event_types = batch.event_types
        self.order_ids = batch.order_ids
        self.mean_bytes = sum(map(len, self.payloads)) / len(self.payloads)

    def batches(self, size: int = BATCH) -> Iterator[EventBatch]:
        """Endless batches of ``size`` events cycling through the pool."""
        offsets = itertools.cycle(range(0, len(self.payloads) - size + 1, size))
        for number, offset in enumerate(offsets):
            end = offset + size
            yield EventBatch(
                self.generator_id,
                number * size,
                [bytes(bytearray(payload)) for payload in self.payloads[offset:end]],
                self.event_types[offset:end],
                self.order_ids[offset:end],
            )


@contextmanager
def local_topic() -> Iterator[PubSubProcess]:
    """A local Pub/Sub server process with topic ``TOPIC``; ``PUBSUB_EMULATOR_HOST`` set."""
    previous = os.environ.get("PUBSUB_EMULATOR_HOST")
    with PubSubProcess() as server:
        os.environ["PUBSUB_EMULATOR_HOST"] = server.address
        try:
            publisher = pubsub_v1.PublisherClient()
            publisher.create_topic(name=f"projects/{PROJECT}/topics/{TOPIC}")
            publisher.transport.close()
            yield server
        finally:
            if previous is None:
                os.environ.pop("PUBSUB_EMULATOR_HOST", None)
            else:
                os.environ["PUBSUB_EMULATOR_HOST"] = previous
