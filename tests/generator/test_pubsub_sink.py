"""PubSubSink against the local Pub/Sub server, read back with the real SubscriberClient."""

from __future__ import annotations

import threading
from collections import defaultdict
from collections.abc import Iterator
from typing import Any

import orjson
import pytest

from eventgen.errors import ConfigError, SinkError
from eventgen.shop.batches import EventBatch
from eventgen.shop.generation import EventStream
from eventgen.shop.options import GeneratorOptions
from eventgen.sinks.base import Sink
from eventgen.sinks.pubsub import PubSubSink
from tests.support.pubsub_server import PubSubServer
from tests.support.pubsub_topics import PROJECT, TopicUnderTest, drain
from tests.support.waiting import wait_for

pytest_plugins = ["tests.support.pubsub_fixtures"]

BATCH = 1000


def batches(total: int, generator_id: str = "gen-0", seed: int = 7) -> Iterator[EventBatch]:
    """``total`` events from the real generator, in batches of ``BATCH``."""
    stream = EventStream(GeneratorOptions.model_validate({"seed": seed}), generator_id)
    while total > 0:
        count = min(BATCH, total)
        total -= count
        yield stream.next_batch(count)


def assert_complete(messages: list[Any], total: int, generator_id: str = "gen-0") -> None:
    """Exactly the events 0..total-1 of ``generator_id``, each once, attributes matching."""
    events = [orjson.loads(m.data) for m in messages]
    assert len({e["event_id"] for e in events}) == len(events), "duplicate event_id"
    assert sorted(e["sequence"] for e in events) == list(range(total))
    for message, event in zip(messages, events, strict=True):
        assert dict(message.attributes) == {
            "event_type": event["event_type"],
            "schema_version": str(event["schema_version"]),
            "generator_id": generator_id,
        }


@pytest.fixture
def sink(pubsub_topic: TopicUnderTest) -> Iterator[PubSubSink]:
    made = PubSubSink(PROJECT, pubsub_topic.topic)
    yield made
    made.close()


def test_sink_satisfies_the_sink_protocol(sink: PubSubSink) -> None:
    assert isinstance(sink, Sink)


@pytest.mark.slow
def test_every_one_of_100000_generated_events_arrives_once_with_attributes(
    sink: PubSubSink, pubsub_topic: TopicUnderTest
) -> None:
    for batch in batches(100_000):
        sink.write(batch)
    sink.flush(timeout=120)

    assert sink.stats.snapshot()[:2] == (100_000, 0)
    assert_complete(drain(pubsub_topic.subscription_path, 100_000), 100_000)


def test_ordering_keys_are_order_ids_and_each_order_arrives_in_sequence(
    pubsub_topic: TopicUnderTest,
) -> None:
    sink = PubSubSink(PROJECT, pubsub_topic.topic, ordering=True, max_in_flight_requests=3)
    for batch in batches(20_000):
        sink.write(batch)
    sink.close()

    messages = drain(pubsub_topic.subscription_path, 20_000)
    assert_complete(messages, 20_000)
    per_order: dict[str, list[int]] = defaultdict(list)
    for message in messages:
        event = orjson.loads(message.data)
        assert message.ordering_key == event["order_id"]
        per_order[message.ordering_key].append(event["sequence"])
    assert any(len(sequences) > 1 for sequences in per_order.values()), "no multi-event order"
    for order_id, sequences in per_order.items():
        assert sequences == sorted(sequences), f"order {order_id} arrived out of order"


def test_without_ordering_messages_carry_no_ordering_key(
    sink: PubSubSink, pubsub_topic: TopicUnderTest
) -> None:
    sink.write(next(batches(50)))
    sink.flush(timeout=30)
    assert [m.ordering_key for m in drain(pubsub_topic.subscription_path, 50)] == [""] * 50


def test_a_server_unavailable_for_seconds_mid_stream_loses_nothing(
    sink: PubSubSink, pubsub_topic: TopicUnderTest, pubsub_server: PubSubServer
) -> None:
    for number, batch in enumerate(batches(30_000)):
        if number == 10:
            pubsub_server.fail_unavailable(3.0)
        sink.write(batch)
    sink.flush(timeout=120)

    assert pubsub_server.stats()["refused_calls"] > 0, "the fault never hit a request"
    assert sink.stats.snapshot()[:2] == (30_000, 0)
    assert_complete(drain(pubsub_topic.subscription_path, 30_000), 30_000)


def test_a_stalled_server_blocks_write_at_the_bound_then_everything_arrives(
    pubsub_topic: TopicUnderTest, pubsub_server: PubSubServer
) -> None:
    bound = 5_000
    sink = PubSubSink(PROJECT, pubsub_topic.topic, max_outstanding_messages=bound)
    accepted = 0

    def write_all() -> None:
        nonlocal accepted
        for batch in batches(20_000):
            sink.write(batch)
            accepted += len(batch)

    pubsub_server.stall(600)
    writer = threading.Thread(target=write_all)
    writer.start()
    wait_for(lambda: pubsub_server.stats()["stalled_calls"] > 0, 30, "a request reached the server")
    # The writer is blocked, not buffering: its progress stays within the bound.
    writer.join(timeout=2)
    assert writer.is_alive()
    assert accepted <= bound

    pubsub_server.clear_faults()
    writer.join(timeout=120)
    sink.close()
    assert sink.stats.snapshot()[:2] == (20_000, 0)
    assert_complete(drain(pubsub_topic.subscription_path, 20_000), 20_000)


def test_a_missing_topic_is_a_one_line_sink_error_and_counts_as_failed(
    pubsub_server: PubSubServer,
) -> None:
    sink = PubSubSink(PROJECT, "no-such-topic")
    with pytest.raises(SinkError) as raised:
        for batch in batches(3_000):
            sink.write(batch)
        sink.flush(timeout=30)
    message = str(raised.value)
    assert (
        message
        == f"Pub/Sub topic projects/{PROJECT}/topics/no-such-topic does not exist (NOT_FOUND)"
    )
    with pytest.raises(SinkError):
        sink.close()
    delivered, failed, _ = sink.stats.snapshot()
    assert delivered == 0
    assert failed > 0


def test_retries_give_up_past_the_deadline_with_a_one_line_error(
    pubsub_topic: TopicUnderTest, pubsub_server: PubSubServer
) -> None:
    sink = PubSubSink(PROJECT, pubsub_topic.topic, retry_deadline=1.5)
    pubsub_server.fail_unavailable(600)
    sink.write(next(batches(100)))
    with pytest.raises(
        SinkError, match=r"^gave up publishing .* of retries; last error: UNAVAILABLE"
    ):
        sink.flush(timeout=30)
    pubsub_server.clear_faults()
    assert sink.stats.snapshot()[:2] == (0, 100)
    with pytest.raises(SinkError, match="gave up"):
        sink.write(next(batches(10)))
    with pytest.raises(SinkError):
        sink.close()


def test_flush_with_a_timeout_reports_what_is_still_undelivered(
    sink: PubSubSink, pubsub_server: PubSubServer
) -> None:
    pubsub_server.stall(600)
    sink.write(next(batches(100)))
    with pytest.raises(SinkError, match=r"timed out after 0.5 s with 100 events not yet"):
        sink.flush(timeout=0.5)
    pubsub_server.clear_faults()
    sink.flush(timeout=30)
    assert sink.stats.delivered == 100


def test_close_after_a_timed_out_flush_abandons_the_rest_instead_of_waiting(
    pubsub_topic: TopicUnderTest, pubsub_server: PubSubServer
) -> None:
    sink = PubSubSink(PROJECT, pubsub_topic.topic)
    pubsub_server.stall(600)
    for batch in batches(2_000):
        sink.write(batch)
    with pytest.raises(SinkError, match="timed out"):
        sink.flush(timeout=0.5)
    outcome: list[BaseException] = []

    def close() -> None:
        try:
            sink.close()
        except BaseException as error:
            outcome.append(error)

    closer = threading.Thread(target=close)
    closer.start()
    closer.join(timeout=60)
    # Still stalled: close returned on its own instead of waiting out the server.
    assert not closer.is_alive(), "close() waited for a server that does not answer"
    assert len(outcome) == 1 and isinstance(outcome[0], SinkError)
    assert "\n" not in str(outcome[0])
    assert sink.stats.snapshot()[:2] == (0, 2_000)


def test_write_after_close_is_refused(sink: PubSubSink) -> None:
    sink.close()
    with pytest.raises(SinkError, match="closed"):
        sink.write(next(batches(1)))


@pytest.mark.parametrize(
    ("tuning", "complaint"),
    [
        ({"max_messages_per_request": 1001}, "at most 1000 messages"),
        ({"max_bytes_per_request": 11_000_000}, "10 MB"),
        ({"max_in_flight_requests": 0}, "max_in_flight_requests must be > 0"),
        ({"max_batch": 5}, "unknown Pub/Sub sink setting"),
    ],
)
def test_invalid_tuning_is_a_config_error(tuning: dict[str, Any], complaint: str) -> None:
    with pytest.raises(ConfigError, match=complaint):
        PubSubSink(PROJECT, "events", **tuning)
