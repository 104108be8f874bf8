"""The kind suite's subscriber (tests/e2e/collector.py) reading what the real `eventgen stream`
publishes, over the Pub/Sub wire protocol.

In kind the suite talks to Google's emulator; that Java program cannot run here, so this
uses the project's local Pub/Sub gRPC server, which the unmodified client also speaks to.
"""

from __future__ import annotations

import os
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from google.cloud import pubsub_v1

from tests.e2e.collector import Collector, ensure_topic_and_subscription
from tests.e2e.events import pod_of
from tests.e2e.scenario import audit_received
from tests.support.pubsub_server import PubSubServer
from tests.support.waiting import wait_for

EVENTGEN = Path(sys.executable).parent / "eventgen"


@pytest.fixture
def server(monkeypatch: pytest.MonkeyPatch) -> Iterator[PubSubServer]:
    with PubSubServer() as running:
        monkeypatch.setenv("PUBSUB_EMULATOR_HOST", running.address)
        yield running


def test_collector_receives_every_streamed_event_with_its_publish_time(
    server: PubSubServer,
) -> None:
    # Created twice: run.sh may rerun against an emulator that already has them.
    path = ensure_topic_and_subscription("e2e-project", "ecommerce-events", "e2e-sub")
    assert ensure_topic_and_subscription("e2e-project", "ecommerce-events", "e2e-sub") == path
    collector = Collector(path)
    collector.start()
    try:
        started = time.time()
        done = subprocess.run(
            [str(EVENTGEN), "stream", "--rate", "2000", "--events", "1500", "--seed", "3",
             "--generator-id", "e2e-stream-abc", "--metrics-port", "0", "--sink", "pubsub",
             "--pubsub-project", "e2e-project", "--pubsub-topic", "ecommerce-events"],
            env={**os.environ, "PUBSUB_EMULATOR_HOST": server.address},
            capture_output=True, text=True, timeout=120, check=False,
        )  # fmt: skip
        assert done.returncode == 0, done.stderr
        wait_for(lambda: len(collector.events()) >= 1500, 60, "1500 events collected")
        wait_for(lambda: collector.idle_seconds() > 1, 30, "the subscription idle")
        received = collector.events()
    finally:
        collector.stop()
    assert len(received) == 1500, "acknowledged messages were delivered again"
    verdict = audit_received(received, expected_events=1500)
    (generator,) = verdict.generators
    assert pod_of(generator.generator_id) == "e2e-stream-abc", generator.generator_id
    assert verdict.complete and (verdict.seen, verdict.doubled) == (1500, 0)
    # Publish times are the server's clock, which is this host's here.
    assert all(started - 5 <= e.published_at <= time.time() + 5 for e in received)
    assert collector.unparsable == 0


def test_collector_counts_messages_that_are_not_events(server: PubSubServer) -> None:
    path = ensure_topic_and_subscription("e2e-project", "mixed", "mixed-sub")
    publisher = pubsub_v1.PublisherClient()
    topic = publisher.topic_path("e2e-project", "mixed")
    event = b'{"event_id": "e1", "generator_id": "g", "sequence": 0}'
    for data in (event, b"garbage", b'{"sequence": 1}'):
        publisher.publish(topic, data).result(timeout=30)
    collector = Collector(path)
    collector.start()
    try:
        wait_for(lambda: collector.unparsable == 2, 30, "two unparsable messages counted")
        assert [e.event_id for e in collector.events()] == ["e1"]
    finally:
        collector.stop()
