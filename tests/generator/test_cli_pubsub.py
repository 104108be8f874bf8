"""``eventgen stream --sink pubsub`` against the local Pub/Sub server, as a real process."""

from __future__ import annotations

import json
import signal
import subprocess
from typing import Any

from google.cloud import pubsub_v1

from tests.support.cli_process import clean_env, eventgen_command, run_eventgen, summary
from tests.support.pubsub_server import PubSubServer
from tests.support.pubsub_topics import PROJECT, TopicUnderTest, drain
from tests.support.waiting import wait_for

pytest_plugins = ["tests.support.pubsub_fixtures"]


def pubsub_args(topic: str) -> list[str]:
    return ["--sink", "pubsub", "--pubsub-project", PROJECT, "--pubsub-topic", topic]


def test_stream_publishes_every_event_once_with_order_keys(
    pubsub_topic: TopicUnderTest, pubsub_server: PubSubServer
) -> None:
    result = run_eventgen(
        ["stream", "--rate", "5000", "--events", "3000", "--ordering-key", "order_id",
         *pubsub_args(pubsub_topic.topic)],
        env={"PUBSUB_EMULATOR_HOST": pubsub_server.address},
    )  # fmt: skip
    assert result.returncode == 0, result.stderr
    assert summary(result.stderr)["delivered"] == "3000"
    messages = drain(pubsub_topic.subscription_path, 3000)
    events = [json.loads(message.data) for message in messages]
    assert sorted(e["sequence"] for e in events) == list(range(3000))
    assert all(m.ordering_key == json.loads(m.data)["order_id"] for m in messages)


def test_sigterm_mid_stream_flushes_to_pubsub_and_exits_0(
    pubsub_topic: TopicUnderTest, pubsub_server: PubSubServer
) -> None:
    process = subprocess.Popen(
        eventgen_command("stream", "--rate", "4000", *pubsub_args(pubsub_topic.topic)),
        env=clean_env({"PUBSUB_EMULATOR_HOST": pubsub_server.address}),
        stderr=subprocess.PIPE,
    )
    received: list[Any] = []

    def pull_some() -> bool:
        """One Pull (acknowledged): the stream keeps publishing, so drain() would not end."""
        with pubsub_v1.SubscriberClient() as subscriber:
            response = subscriber.pull(
                subscription=pubsub_topic.subscription_path, max_messages=1000
            )
            if response.received_messages:
                subscriber.acknowledge(
                    subscription=pubsub_topic.subscription_path,
                    ack_ids=[r.ack_id for r in response.received_messages],
                )
        received.extend(r.message for r in response.received_messages)
        return bool(received)

    wait_for(pull_some, 60, "the first published events")
    process.send_signal(signal.SIGTERM)
    _, stderr = process.communicate(timeout=60)
    assert process.returncode == 0, stderr
    report = summary(stderr)
    assert report["delivered"] == report["generated"]
    received += drain(pubsub_topic.subscription_path, int(report["delivered"]) - len(received))
    sequences = sorted(json.loads(m.data)["sequence"] for m in received)
    assert sequences == list(range(int(report["generated"])))
