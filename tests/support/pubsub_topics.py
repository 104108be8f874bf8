"""Reading back what reached the local Pub/Sub server, with the real SubscriberClient."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from google.cloud import pubsub_v1

PROJECT = "test-project"


@dataclass(frozen=True)
class TopicUnderTest:
    """A topic with one pull subscription, on the local server; names are short ids."""

    topic: str
    subscription: str

    @property
    def topic_path(self) -> str:
        return f"projects/{PROJECT}/topics/{self.topic}"

    @property
    def subscription_path(self) -> str:
        return f"projects/{PROJECT}/subscriptions/{self.subscription}"

    def create(self) -> TopicUnderTest:
        """Create the topic and its subscription (``PUBSUB_EMULATOR_HOST`` must be set)."""
        publisher = pubsub_v1.PublisherClient()
        publisher.create_topic(name=self.topic_path)
        publisher.transport.close()
        with pubsub_v1.SubscriberClient() as subscriber:
            subscriber.create_subscription(name=self.subscription_path, topic=self.topic_path)
        return self


def drain(subscription_path: str, expected: int | None = None, *, idle_pulls: int = 3) -> list[Any]:
    """Pull and acknowledge messages until ``idle_pulls`` pulls in a row come back empty.

    Each empty Pull waits about a second on the local server. Once ``expected`` messages
    have arrived one empty pull suffices (it still catches extra, duplicated messages).
    Returns the ``PubsubMessage`` objects in delivery order (publish order, on this server).
    """
    received: list[Any] = []
    with pubsub_v1.SubscriberClient() as subscriber:
        empty = 0
        while empty < (1 if expected is not None and len(received) >= expected else idle_pulls):
            response = subscriber.pull(subscription=subscription_path, max_messages=1000)
            if not response.received_messages:
                empty += 1
                continue
            empty = 0
            received.extend(r.message for r in response.received_messages)
            subscriber.acknowledge(
                subscription=subscription_path,
                ack_ids=[r.ack_id for r in response.received_messages],
            )
    return received
