"""A background subscriber that records every event the generators publish.

Pulls from the emulator's subscription through the unmodified google-cloud-pubsub client
(PUBSUB_EMULATOR_HOST), acknowledges at once, and keeps what events.py needs to measure.
"""

from __future__ import annotations

import contextlib
import threading
import time

from google.api_core import exceptions as gexc
from google.cloud import pubsub_v1

from tests.e2e.events import Received, parse_event

PULL_BATCH = 1000  # messages per Pull call (the service's maximum)
SAMPLE_LIMIT = 500  # raw message bodies kept for schema checks


def ensure_topic_and_subscription(project: str, topic: str, subscription: str) -> str:
    """Create the topic and a pull subscription on it (both may exist); returns the
    subscription's full path. Needs PUBSUB_EMULATOR_HOST set in this process."""
    publisher = pubsub_v1.PublisherClient()
    subscriber = pubsub_v1.SubscriberClient()
    topic_path = publisher.topic_path(project, topic)
    subscription_path = subscriber.subscription_path(project, subscription)
    with contextlib.suppress(gexc.AlreadyExists):
        publisher.create_topic(name=topic_path)
    with contextlib.suppress(gexc.AlreadyExists):
        subscriber.create_subscription(
            name=subscription_path, topic=topic_path, ack_deadline_seconds=60
        )
    subscriber.close()
    return str(subscription_path)


class Collector:
    """Pulls and acks in a thread; `events()` is a snapshot of everything received so far."""

    def __init__(self, subscription_path: str) -> None:
        self._subscription = subscription_path
        self._client = pubsub_v1.SubscriberClient()
        self._lock = threading.Lock()
        self._events: list[Received] = []
        self._unparsable = 0
        self._samples: list[bytes] = []
        self._last_arrival = time.monotonic()
        self._stopping = threading.Event()
        self._error: BaseException | None = None
        self._thread = threading.Thread(target=self._run, name="collector", daemon=True)

    def start(self) -> None:
        """Start pulling in the background."""
        self._thread.start()

    def stop(self) -> None:
        """Stop pulling (within one pull's timeout) and close the client."""
        self._stopping.set()
        self._thread.join(timeout=30)
        self._client.close()

    def events(self) -> list[Received]:
        """Every event received so far, in arrival order (a copy)."""
        self._raise_if_failed()
        with self._lock:
            return list(self._events)

    def samples(self) -> list[bytes]:
        """The first raw message bodies received (up to SAMPLE_LIMIT), for schema checks."""
        with self._lock:
            return list(self._samples)

    @property
    def unparsable(self) -> int:
        """Messages whose body was not an event (none expected: no malformed faults here)."""
        with self._lock:
            return self._unparsable

    def idle_seconds(self) -> float:
        """Seconds since the last message arrived."""
        with self._lock:
            return time.monotonic() - self._last_arrival

    def _raise_if_failed(self) -> None:
        if self._error is not None:
            raise RuntimeError(f"the subscriber stopped: {self._error}") from self._error

    def _run(self) -> None:
        try:
            while not self._stopping.is_set():
                self._pull_once()
        except BaseException as error:  # surfaced to the test thread by events()
            self._error = error

    def _pull_once(self) -> None:
        try:
            response = self._client.pull(
                subscription=self._subscription, max_messages=PULL_BATCH, timeout=5
            )
        except (gexc.DeadlineExceeded, gexc.ServiceUnavailable):
            return  # nothing to pull yet, or the emulator is briefly busy: pull again
        if not response.received_messages:
            return
        parsed = [
            parse_event(m.message.data, m.message.publish_time.timestamp())
            for m in response.received_messages
        ]
        with self._lock:
            self._events.extend(p for p in parsed if p is not None)
            room = SAMPLE_LIMIT - len(self._samples)
            if room > 0:
                self._samples.extend(m.message.data for m in response.received_messages[:room])
            self._unparsable += sum(1 for p in parsed if p is None)
            self._last_arrival = time.monotonic()
        self._client.acknowledge(
            subscription=self._subscription,
            ack_ids=[m.ack_id for m in response.received_messages],
        )
