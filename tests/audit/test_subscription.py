"""``eventgen audit projects/P/subscriptions/S`` with the real google-cloud-pubsub client
against the local Pub/Sub server, fed by a real ``eventgen stream --sink pubsub``."""

from __future__ import annotations

from typing import Any

import orjson
import pytest
from google.cloud import pubsub_v1

from eventgen.cli.main import main
from tests.audit.events import audit_json, generated
from tests.support.cli_process import eventgen_command, publishing
from tests.support.pubsub_server import PubSubServer
from tests.support.pubsub_topics import PROJECT, TopicUnderTest, drain

pytest_plugins = ["tests.support.pubsub_fixtures"]

AUDIT_SUBSCRIPTION = f"projects/{PROJECT}/subscriptions/events-audit"


@pytest.fixture
def topic(pubsub_topic: TopicUnderTest, monkeypatch: pytest.MonkeyPatch) -> TopicUnderTest:
    """The topic with its pipeline subscription, plus a dedicated audit subscription."""
    with pubsub_v1.SubscriberClient() as subscriber:
        subscriber.create_subscription(name=AUDIT_SUBSCRIPTION, topic=pubsub_topic.topic_path)
    return pubsub_topic


def audit(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, Any, str]:
    return audit_json(capsys, "--idle-timeout", "2s", AUDIT_SUBSCRIPTION, *args)


def publish(topic: TopicUnderTest, payloads: list[bytes], generator_id: str) -> None:
    publisher = pubsub_v1.PublisherClient()
    futures = [publisher.publish(topic.topic_path, p, generator_id=generator_id) for p in payloads]
    for future in futures:
        future.result(timeout=60)
    publisher.transport.close()


def test_a_stream_with_faults_and_a_stall_is_complete_when_the_audit_is_told(
    topic: TopicUnderTest, pubsub_server: PubSubServer, capsys: Any
) -> None:
    faults = ["--duplicate-rate", "0.01", "--malformed-rate", "0.01"]
    command = eventgen_command(
        "stream",
        "--sink",
        "pubsub",
        "--pubsub-project",
        PROJECT,
        "--pubsub-topic",
        topic.topic,
        "--generator-id",
        "shop-0",
        "--rate",
        "4000",
        "--events",
        "12000",
        *faults,
    )
    with publishing(pubsub_server, command, published=3000) as process:
        pubsub_server.stall(2.0)
        _, stderr = process.communicate(timeout=120)
    assert process.returncode == 0, stderr
    assert pubsub_server.stats()["stalled_calls"] > 0, "the stall never hit the generator"

    code, verdict, _ = audit(capsys, *faults)
    assert code == 0, verdict["problems"]
    assert verdict["totals"]["records"] == 12_000
    assert verdict["totals"]["malformed"] > 0
    # Malformed messages still name their generator in the attributes.
    assert verdict["totals"]["unattributed_malformed"] == 0
    # The audit took nothing from the pipeline's subscription.
    assert len(drain(topic.subscription_path, 12_000)) == 12_000


def test_a_clean_run_from_two_generators_is_complete(topic: TopicUnderTest, capsys: Any) -> None:
    publish(topic, generated(3000, "shop-3"), "shop-3")
    publish(topic, generated(2000, "shop-4"), "shop-4")
    code, verdict, _ = audit(capsys, "--expected-events", "5000")
    assert code == 0, verdict["problems"]
    assert [(g["generator_id"], g["seen"]) for g in verdict["generators"]] == [
        ("shop-3", 3000),
        ("shop-4", 2000),
    ]


def test_untold_faults_fail_the_audit(topic: TopicUnderTest, capsys: Any) -> None:
    publish(topic, generated(3000, "shop-1", malformed_rate=0.02), "shop-1")
    code, verdict, _ = audit(capsys)
    assert code == 1
    assert any("not events" in p for p in verdict["problems"])


def test_a_dropped_message_range_is_missing_and_a_republished_range_doubled(
    topic: TopicUnderTest, capsys: Any
) -> None:
    payloads = generated(5000, "shop-2")
    publish(topic, payloads, "shop-2")
    # Another reader takes 1000-1999 from the audit subscription (acknowledges them) and hands
    # the rest back: lost to the audit. (Publish requests run concurrently, so delivery order
    # is not sequence order: it holds all 5000 before choosing.)
    with pubsub_v1.SubscriberClient() as thief:
        held: list[Any] = []
        while len(held) < 5000:
            held += thief.pull(subscription=AUDIT_SUBSCRIPTION, max_messages=1000).received_messages
        taken = [r.ack_id for r in held if 1000 <= orjson.loads(r.message.data)["sequence"] < 2000]
        thief.acknowledge(subscription=AUDIT_SUBSCRIPTION, ack_ids=taken)
        returned = [r.ack_id for r in held if r.ack_id not in set(taken)]
        thief.modify_ack_deadline(
            subscription=AUDIT_SUBSCRIPTION, ack_ids=returned, ack_deadline_seconds=0
        )
        assert len(taken) == 1000
    publish(topic, payloads[:1000], "shop-2")  # 0-999 a second time: doubled
    publish(topic, payloads[4000:4100], "shop-2")  # 4000-4099 a second time: doubled
    code, verdict, _ = audit(capsys)
    assert code == 1
    (g,) = verdict["generators"]
    assert (g["expected"], g["missing"], g["missing_ranges"]) == (5000, 1000, [[1000, 1999]])
    assert (g["doubled"], g["doubled_ranges"]) == (1100, [[0, 999], [4000, 4099]])


def test_a_missing_subscription_is_bad_input(topic: TopicUnderTest, capsys: Any) -> None:
    code = main(["audit", "--idle-timeout", "1s", f"projects/{PROJECT}/subscriptions/nope"])
    err = capsys.readouterr().err
    assert code == 2
    assert err == f"eventgen: error: projects/{PROJECT}/subscriptions/nope: no such subscription\n"
