"""The in-memory state behind the local Pub/Sub server: topics, subscriptions, messages.

Kept apart from the gRPC plumbing (``pubsub_server.py``) so the delivery rules (fan-out to
every subscription, ack deadlines, redelivery in the original order with ``delivery_attempt``
counting up) live in one place. One condition variable guards everything: the server is a
test double for correctness, not a model of Pub/Sub's sharded storage.
"""

from __future__ import annotations

import itertools
import threading
import time
from collections import deque
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

import grpc
from google.protobuf import timestamp_pb2
from google.pubsub_v1 import types

PubsubMessage: Any = types.PubsubMessage.pb()
ReceivedMessage: Any = types.ReceivedMessage.pb()
Subscription: Any = types.Subscription.pb()
Topic: Any = types.Topic.pb()

DEFAULT_ACK_DEADLINE_SECONDS = 10


class BrokerError(Exception):
    """A request the real service would refuse; carries the gRPC status code to answer with."""

    def __init__(self, code: grpc.StatusCode, message: str) -> None:
        super().__init__(message)
        self.code = code


@dataclass
class _Delivery:
    """One message waiting in (or handed out from) one subscription."""

    message: Any
    arrival: int
    attempts: int = 0


@dataclass
class _Subscription:
    config: Any
    pending: deque[_Delivery] = field(default_factory=deque)
    # ack_id -> (delivery, monotonic time its ack deadline expires)
    outstanding: dict[str, tuple[_Delivery, float]] = field(default_factory=dict)


class Broker:
    """Topics and subscriptions of every project, thread-safe."""

    def __init__(self) -> None:
        self.changed = threading.Condition()
        self._topics: dict[str, Any] = {}
        self._subscriptions: dict[str, _Subscription] = {}
        self._ids = itertools.count(1)
        self.published = 0

    # -- topics -------------------------------------------------------------------------
    def create_topic(self, topic: Any) -> Any:
        with self.changed:
            if topic.name in self._topics:
                raise BrokerError(
                    grpc.StatusCode.ALREADY_EXISTS, f"Topic already exists: {topic.name}"
                )
            stored = Topic()
            stored.CopyFrom(topic)
            self._topics[topic.name] = stored
            return stored

    def get_topic(self, name: str) -> Any:
        with self.changed:
            return self._topic(name)

    def delete_topic(self, name: str) -> None:
        with self.changed:
            self._topic(name)
            del self._topics[name]

    def publish(self, topic_name: str, messages: Iterable[Any]) -> list[str]:
        """Store each message in every subscription of ``topic_name``; return the message ids."""
        with self.changed:
            self._topic(topic_name)
            targets = [s for s in self._subscriptions.values() if s.config.topic == topic_name]
            stamp = timestamp_pb2.Timestamp()
            stamp.GetCurrentTime()
            ids: list[str] = []
            for message in messages:
                number = next(self._ids)
                stored = PubsubMessage()
                stored.CopyFrom(message)
                stored.message_id = str(number)
                stored.publish_time.CopyFrom(stamp)
                for subscription in targets:
                    subscription.pending.append(_Delivery(stored, number))
                ids.append(stored.message_id)
            self.published += len(ids)
            self.changed.notify_all()
            return ids

    # -- subscriptions ------------------------------------------------------------------
    def create_subscription(self, config: Any) -> Any:
        with self.changed:
            if config.name in self._subscriptions:
                raise BrokerError(
                    grpc.StatusCode.ALREADY_EXISTS, f"Subscription already exists: {config.name}"
                )
            self._topic(config.topic)
            stored = Subscription()
            stored.CopyFrom(config)
            if not stored.ack_deadline_seconds:
                stored.ack_deadline_seconds = DEFAULT_ACK_DEADLINE_SECONDS
            self._subscriptions[config.name] = _Subscription(stored)
            return stored

    def get_subscription(self, name: str) -> Any:
        with self.changed:
            return self._subscription(name).config

    def delete_subscription(self, name: str) -> None:
        with self.changed:
            self._subscription(name)
            del self._subscriptions[name]
            self.changed.notify_all()

    def pull(
        self, name: str, max_messages: int, *, wait: float, ack_deadline: float | None = None
    ) -> list[Any]:
        """Hand out up to ``max_messages`` messages, waiting up to ``wait`` seconds for one.

        ``ack_deadline`` (seconds) overrides the subscription's own deadline (StreamingPull).
        Returns ``ReceivedMessage`` protobufs; an empty list when nothing arrived in time.
        """
        give_up = time.monotonic() + wait
        with self.changed:
            while True:
                subscription = self._subscription(name)
                self._expire(subscription)
                if subscription.pending or time.monotonic() >= give_up:
                    break
                self.changed.wait(min(0.1, max(0.0, give_up - time.monotonic())))
            seconds = ack_deadline or subscription.config.ack_deadline_seconds
            expires = time.monotonic() + seconds
            received: list[Any] = []
            while subscription.pending and len(received) < max_messages:
                delivery = subscription.pending.popleft()
                delivery.attempts += 1
                ack_id = f"{delivery.arrival}-{delivery.attempts}"
                subscription.outstanding[ack_id] = (delivery, expires)
                received.append(
                    ReceivedMessage(
                        ack_id=ack_id, message=delivery.message, delivery_attempt=delivery.attempts
                    )
                )
            return received

    def acknowledge(self, name: str, ack_ids: Iterable[str]) -> None:
        with self.changed:
            subscription = self._subscription(name)
            for ack_id in ack_ids:
                subscription.outstanding.pop(ack_id, None)
            self.changed.notify_all()

    def modify_ack_deadline(self, name: str, ack_ids: Iterable[str], seconds: int) -> None:
        """Extend the deadline of outstanding messages; 0 seconds hands them back (a nack)."""
        with self.changed:
            subscription = self._subscription(name)
            expires = time.monotonic() + seconds
            for ack_id in ack_ids:
                entry = subscription.outstanding.get(ack_id)
                if entry is not None:
                    subscription.outstanding[ack_id] = (entry[0], expires)
            if seconds == 0:
                self._expire(subscription)
            self.changed.notify_all()

    def outstanding(self, name: str, ack_ids: Iterable[str]) -> set[str]:
        """Those of ``ack_ids`` still awaiting an ack (for a stream's outstanding-message cap)."""
        with self.changed:
            subscription = self._subscriptions.get(name)
            if subscription is None:
                return set()
            return {a for a in ack_ids if a in subscription.outstanding}

    def backlog(self, name: str) -> int:
        """Messages in ``name`` not yet acknowledged (pending plus outstanding)."""
        with self.changed:
            subscription = self._subscription(name)
            return len(subscription.pending) + len(subscription.outstanding)

    # -- internals ----------------------------------------------------------------------
    def _topic(self, name: str) -> Any:
        topic = self._topics.get(name)
        if topic is None:
            raise BrokerError(grpc.StatusCode.NOT_FOUND, f"Topic not found: {name}")
        return topic

    def _subscription(self, name: str) -> _Subscription:
        subscription = self._subscriptions.get(name)
        if subscription is None:
            raise BrokerError(grpc.StatusCode.NOT_FOUND, f"Subscription does not exist: {name}")
        return subscription

    @staticmethod
    def _expire(subscription: _Subscription) -> None:
        """Put messages whose ack deadline passed back in front, in their original order."""
        now = time.monotonic()
        expired = [
            (ack_id, delivery)
            for ack_id, (delivery, expires) in subscription.outstanding.items()
            if expires <= now
        ]
        if not expired:
            return
        for ack_id, _ in expired:
            del subscription.outstanding[ack_id]
        for delivery in sorted((d for _, d in expired), key=lambda d: d.arrival, reverse=True):
            subscription.pending.appendleft(delivery)
