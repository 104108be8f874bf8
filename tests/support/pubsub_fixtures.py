"""pytest fixtures for tests that publish to the local Pub/Sub server.

Load them in a test module with ``pytest_plugins = ["tests.support.pubsub_fixtures"]``;
helpers to read messages back are in ``tests.support.pubsub_topics``.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from tests.support.pubsub_server import PubSubServer
from tests.support.pubsub_topics import TopicUnderTest


@pytest.fixture
def pubsub_server(monkeypatch: pytest.MonkeyPatch) -> Iterator[PubSubServer]:
    """A local server in this process, with ``PUBSUB_EMULATOR_HOST`` pointing at it."""
    with PubSubServer() as server:
        monkeypatch.setenv("PUBSUB_EMULATOR_HOST", server.address)
        yield server


@pytest.fixture
def pubsub_topic(pubsub_server: PubSubServer) -> TopicUnderTest:
    """Topic ``events`` with subscription ``events-sub`` on ``pubsub_server``, before publishing."""
    return TopicUnderTest("events", "events-sub").create()
