"""Fixtures of the real-node suite, shared by every module that runs on the node.

- ``node`` (session): a running ``tests.support.node.cluster.RealNode``. It skips, with the
  reason, where the node cannot run, except in CI (``CI`` set), where that is a failure.
  Its teardown fails when the node left a process, mount, interface or namespace behind.
- ``image`` (session): the project's image, built from its Dockerfile and loaded into the node.
- ``pubsub`` (session): the local Pub/Sub server on the node's address, where pods and this
  process reach it (a test points its clients there with ``PUBSUB_EMULATOR_HOST``).
"""

from __future__ import annotations

import os
from collections.abc import Iterator

import pytest

from tests.support.node.cluster import RealNode
from tests.support.node.prerequisites import NodeUnavailable
from tests.support.pubsub_process import PubSubProcess


@pytest.fixture(scope="session")
def node() -> Iterator[RealNode]:
    """A running real node for the session; its teardown fails if anything is left behind."""
    try:
        started = RealNode.start()
    except NodeUnavailable as reason:
        if os.environ.get("CI"):
            pytest.fail(f"CI must run the real-node suite, but: {reason}")
        pytest.skip(str(reason))
    print(f"\nreal node: {started.timings}")
    try:
        yield started
    finally:
        left = started.stop()
        assert not left, "the real node left things behind:\n" + "\n".join(left)


@pytest.fixture(scope="session")
def image(node: RealNode) -> str:
    """The project's image, built from its Dockerfile and loaded into the node."""
    built = node.build_image()
    seconds = node.timings.get("image build", 0.0)
    print(f"\nimage {built.reference} built in {seconds:.0f} s on {built.base_description}")
    return built.reference


@pytest.fixture(scope="session")
def pubsub(node: RealNode) -> Iterator[PubSubProcess]:
    """The local Pub/Sub server on the node's address, where pods and this process reach it."""
    assert node.interface is not None
    with PubSubProcess(host=node.interface.address) as server:
        yield server
