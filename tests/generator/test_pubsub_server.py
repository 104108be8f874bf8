"""The local Pub/Sub server behaves as the real client expects (the other tests rely on it)."""

from __future__ import annotations

import threading
import time
from typing import Any

import pytest
from google.api_core import exceptions
from google.cloud import pubsub_v1
from google.pubsub_v1 import PubsubMessage
from google.pubsub_v1.services.publisher.client import PublisherClient as GeneratedPublisher

from tests.support.pubsub_process import PubSubProcess
from tests.support.pubsub_server import PubSubServer
from tests.support.pubsub_topics import PROJECT, TopicUnderTest, drain
from tests.support.waiting import wait_for

pytest_plugins = ["tests.support.pubsub_fixtures"]


def publish(topic_path: str, count: int, **attributes: str) -> list[str]:
    client = pubsub_v1.PublisherClient()
    futures = [client.publish(topic_path, b"%d" % n, **attributes) for n in range(count)]
    ids = [future.result(timeout=30) for future in futures]
    client.stop()
    return ids


def test_messages_fan_out_to_every_subscription_of_the_topic(
    pubsub_topic: TopicUnderTest,
) -> None:
    second = f"projects/{PROJECT}/subscriptions/second"
    with pubsub_v1.SubscriberClient() as subscriber:
        subscriber.create_subscription(name=second, topic=pubsub_topic.topic_path)
    ids = publish(pubsub_topic.topic_path, 50, kind="test")

    for path in (pubsub_topic.subscription_path, second):
        messages = drain(path, 50)
        assert [m.message_id for m in messages] == ids
        assert [m.data for m in messages] == [b"%d" % n for n in range(50)]
        assert all(dict(m.attributes) == {"kind": "test"} for m in messages)


def test_a_nacked_message_is_redelivered_with_its_attempt_counted(
    pubsub_topic: TopicUnderTest,
) -> None:
    publish(pubsub_topic.topic_path, 3)
    path = pubsub_topic.subscription_path
    with pubsub_v1.SubscriberClient() as subscriber:
        first = subscriber.pull(subscription=path, max_messages=10).received_messages
        assert [r.delivery_attempt for r in first] == [1, 1, 1]
        subscriber.modify_ack_deadline(
            subscription=path, ack_ids=[first[1].ack_id], ack_deadline_seconds=0
        )
        subscriber.acknowledge(subscription=path, ack_ids=[first[0].ack_id, first[2].ack_id])
        again = subscriber.pull(subscription=path, max_messages=10).received_messages
    assert [(r.message.data, r.delivery_attempt) for r in again] == [(b"1", 2)]


def test_subscribe_streams_messages_to_a_callback(
    pubsub_topic: TopicUnderTest, pubsub_server: PubSubServer
) -> None:
    received: list[bytes] = []
    lock = threading.Lock()

    def on_message(message: Any) -> None:
        with lock:
            received.append(message.data)
        message.ack()

    with pubsub_v1.SubscriberClient() as subscriber:
        future = subscriber.subscribe(pubsub_topic.subscription_path, on_message)
        publish(pubsub_topic.topic_path, 500)
        wait_for(lambda: len(received) >= 500, 30, "500 messages through subscribe()")
        future.cancel()
        future.result(timeout=30)
    assert sorted(received) == sorted(b"%d" % n for n in range(500))
    assert pubsub_server.broker.backlog(pubsub_topic.subscription_path) == 0


def test_publishing_to_a_missing_topic_is_not_found(pubsub_server: PubSubServer) -> None:
    client = pubsub_v1.PublisherClient()
    with pytest.raises(exceptions.NotFound):
        client.publish(f"projects/{PROJECT}/topics/missing", b"x").result(timeout=30)
    client.stop()


def test_a_stalled_call_whose_client_gave_up_is_dropped(
    pubsub_topic: TopicUnderTest, pubsub_server: PubSubServer
) -> None:
    client = pubsub_v1.PublisherClient()
    pubsub_server.stall(2.0)
    with pytest.raises(exceptions.DeadlineExceeded):
        # The generated method, without the high-level client's own retries.
        GeneratedPublisher.publish(
            client,
            topic=pubsub_topic.topic_path,
            messages=[PubsubMessage(data=b"x")],
            timeout=0.5,
            retry=None,
        )
    time.sleep(2.0)
    assert drain(pubsub_topic.subscription_path, idle_pulls=1) == []
    assert pubsub_server.stats()["stalled_calls"] == 1
    client.stop()


def test_the_server_runs_as_a_process_with_faults_controlled_from_here(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    with PubSubProcess() as server:
        monkeypatch.setenv("PUBSUB_EMULATOR_HOST", server.address)
        topic = TopicUnderTest("remote", "remote-sub").create()
        server.fail_unavailable(1.0)
        # The client retries UNAVAILABLE on its own: the message arrives once the window ends.
        assert len(publish(topic.topic_path, 1)) == 1
        stats = server.stats()
        assert stats["published"] == 1
        assert stats["refused_calls"] >= 1
        assert len(drain(topic.subscription_path, 1)) == 1
