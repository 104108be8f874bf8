"""``eventgen stream --sink pubsub`` as a real process, through faults of the local server.

The server runs in this test process; the generator is a subprocess using the real client
(through ``PUBSUB_EMULATOR_HOST``). Complements test_cli_pubsub.py (ordering keys, plain
SIGTERM, missing topic) with volume and with server failures.
"""

from __future__ import annotations

import signal
import subprocess
from typing import Any

import orjson
import pytest

from tests.support.cli_process import (
    clean_env,
    eventgen_command,
    publishing,
    run_eventgen,
    summary,
)
from tests.support.processes import free_port
from tests.support.pubsub_server import PubSubServer
from tests.support.pubsub_topics import PROJECT, TopicUnderTest, drain
from tests.support.scraping import metric
from tests.support.waiting import wait_for

pytest_plugins = ["tests.support.pubsub_fixtures"]

GENERATOR_ID = "shop-0"


def stream_command(topic: str, *args: str) -> list[str]:
    return eventgen_command(
        "stream",
        "--sink", "pubsub", "--pubsub-project", PROJECT, "--pubsub-topic", topic,
        "--generator-id", GENERATOR_ID, *args,
    )  # fmt: skip


def assert_exactly(messages: list[Any], total: int) -> None:
    """Events 0..total-1 of one run of GENERATOR_ID, each once, with matching attributes."""
    events = [orjson.loads(m.data) for m in messages]
    assert len({e["event_id"] for e in events}) == total, "events missing or duplicated"
    assert sorted(e["sequence"] for e in events) == list(range(total))
    (run_generator_id,) = {e["generator_id"] for e in events}
    assert run_generator_id.startswith(f"{GENERATOR_ID}."), run_generator_id
    for message, event in zip(messages, events, strict=True):
        assert dict(message.attributes) == {
            "event_type": event["event_type"],
            "schema_version": "1",
            "generator_id": run_generator_id,
        }


@pytest.mark.slow
def test_100000_streamed_events_arrive_once_gap_free_with_attributes(
    pubsub_topic: TopicUnderTest, pubsub_server: PubSubServer
) -> None:
    result = subprocess.run(
        stream_command(pubsub_topic.topic, "--rate", "100000", "--events", "100000"),
        env=clean_env({"PUBSUB_EMULATOR_HOST": pubsub_server.address}),
        capture_output=True,
        timeout=300,
    )
    assert result.returncode == 0, result.stderr
    report = summary(result.stderr)
    assert (report["generated"], report["delivered"], report["failed"]) == ("100000", "100000", "0")
    assert_exactly(drain(pubsub_topic.subscription_path, 100_000), 100_000)


def test_a_server_unavailable_mid_stream_loses_nothing_and_exits_0(
    pubsub_topic: TopicUnderTest, pubsub_server: PubSubServer
) -> None:
    command = stream_command(pubsub_topic.topic, "--rate", "5000", "--events", "25000")
    with publishing(pubsub_server, command, published=5000) as process:
        pubsub_server.fail_unavailable(3.0)
        _, stderr = process.communicate(timeout=120)

    assert process.returncode == 0, stderr
    assert pubsub_server.stats()["refused_calls"] > 0, "the fault never hit the generator"
    assert summary(stderr)["delivered"] == "25000"
    assert_exactly(drain(pubsub_topic.subscription_path, 25_000), 25_000)


def test_sigterm_while_the_server_is_unavailable_still_delivers_everything_generated(
    pubsub_topic: TopicUnderTest, pubsub_server: PubSubServer
) -> None:
    command = stream_command(pubsub_topic.topic, "--rate", "4000", "--flush-timeout", "60s")
    with publishing(pubsub_server, command, published=2000) as process:
        pubsub_server.fail_unavailable(3.0)
        wait_for(lambda: pubsub_server.stats()["refused_calls"] > 0, 30, "a refused publish")
        process.send_signal(signal.SIGTERM)
        _, stderr = process.communicate(timeout=120)

    assert process.returncode == 0, stderr
    report = summary(stderr)
    assert report["delivered"] == report["generated"]
    assert report["failed"] == "0"
    generated = int(report["generated"])
    assert_exactly(drain(pubsub_topic.subscription_path, generated), generated)


def test_a_missing_topic_given_by_environment_is_one_line_and_non_zero(
    pubsub_server: PubSubServer,
) -> None:
    result = run_eventgen(
        ["stream", "--rate", "1000", "--events", "500"],
        env={
            "PUBSUB_EMULATOR_HOST": pubsub_server.address,
            "EVENTGEN_SINK": "pubsub",
            "EVENTGEN_PUBSUB_PROJECT": PROJECT,
            "EVENTGEN_PUBSUB_TOPIC": "absent",
        },
    )
    assert result.returncode != 0
    errors = [line for line in result.stderr.decode().splitlines() if " error" in line.lower()]
    topic_path = f"projects/{PROJECT}/topics/absent"
    assert errors == [f"eventgen: error: Pub/Sub topic {topic_path} does not exist (NOT_FOUND)"]


def test_sigterm_while_the_server_does_not_answer_gives_up_after_the_flush_timeout(
    pubsub_topic: TopicUnderTest, pubsub_server: PubSubServer
) -> None:
    command = stream_command(pubsub_topic.topic, "--rate", "2000", "--flush-timeout", "2s")
    with publishing(pubsub_server, command, published=1000) as process:
        pubsub_server.stall(600)
        wait_for(lambda: pubsub_server.stats()["stalled_calls"] > 0, 30, "a stalled publish")
        process.send_signal(signal.SIGTERM)
        # Far below the 600 s stall and the 600 s retry deadline: the flush timeout decides.
        _, stderr = process.communicate(timeout=60)

    assert process.returncode == 1, stderr
    errors = [line for line in stderr.decode().splitlines() if line.startswith("eventgen: error")]
    assert len(errors) == 1 and "flush timed out after 2 s" in errors[0], stderr
    report = summary(stderr)
    generated, delivered, failed = (int(report[k]) for k in ("generated", "delivered", "failed"))
    assert failed > 0
    assert delivered + failed == generated
    pubsub_server.clear_faults()
    assert len(drain(pubsub_topic.subscription_path, delivered)) == delivered


def test_sigterm_while_a_write_waits_for_a_silent_server_gives_up_after_the_flush_timeout(
    pubsub_topic: TopicUnderTest, pubsub_server: PubSubServer
) -> None:
    # The sink holds at most 20,000 unacknowledged events; at 20,000 events/s against a
    # server that answers nothing, the generating thread soon waits inside write() for
    # room. SIGTERM then has to end that wait too, not only the final flush.
    port = free_port()
    process = subprocess.Popen(
        stream_command(pubsub_topic.topic, "--rate", "20000", "--flush-timeout", "2s"),
        env=clean_env(
            {"PUBSUB_EMULATOR_HOST": pubsub_server.address, "EVENTGEN_METRICS_PORT": str(port)}
        ),
        stderr=subprocess.PIPE,
    )
    try:
        wait_for(lambda: pubsub_server.stats()["published"] >= 1000, 60, "1000 events published")
        pubsub_server.stall(600)

        def waiting_for_room() -> bool:
            generated = metric(port, "eventgen_events_generated_total")
            delivered = metric(port, "eventgen_events_delivered_total")
            if generated is None or delivered is None:
                return False
            # One more 1,000-event batch would exceed the 20,000 the sink may hold.
            return generated - delivered > 19_000

        wait_for(waiting_for_room, 60, "the sink's 20,000-event bound used up")
        process.send_signal(signal.SIGTERM)
        # Far below the 600 s stall and the 600 s retry deadline: the flush timeout decides.
        _, stderr = process.communicate(timeout=60)
    finally:
        if process.poll() is None:
            process.kill()
            process.communicate()

    assert process.returncode == 1, stderr
    errors = [line for line in stderr.decode().splitlines() if line.startswith("eventgen: error")]
    assert len(errors) == 1 and "2 s" in errors[0], stderr
    report = summary(stderr)
    generated, delivered, failed = (int(report[k]) for k in ("generated", "delivered", "failed"))
    assert failed > 0
    assert delivered + failed == generated


def test_a_permanent_error_while_other_requests_retry_ends_the_run_promptly(
    pubsub_topic: TopicUnderTest, pubsub_server: PubSubServer
) -> None:
    # Every lane is retrying UNAVAILABLE when one retry is answered PERMISSION_DENIED: the
    # sink has failed, and the other lanes must give up their retries at once instead of
    # holding the exit for the 600 s retry deadline.
    command = stream_command(pubsub_topic.topic, "--rate", "4000", "--events", "1000000")
    with publishing(pubsub_server, command, published=2000) as process:
        pubsub_server.fail_unavailable(600)
        pubsub_server.deny_call(8)
        wait_for(lambda: pubsub_server.stats()["denied_calls"] > 0, 30, "a denied publish")
        # A behaviour bound far below the retry deadline, not a benchmark.
        _, stderr = process.communicate(timeout=60)

    assert process.returncode == 1, stderr
    errors = [line for line in stderr.decode().splitlines() if line.startswith("eventgen: error")]
    assert len(errors) == 1 and "permission denied" in errors[0], stderr
    assert pubsub_server.stats()["refused_calls"] >= 4, "other lanes were not retrying"
    report = summary(stderr)
    generated, delivered, failed = (int(report[k]) for k in ("generated", "delivered", "failed"))
    assert failed > 0
    assert delivered + failed == generated
    pubsub_server.clear_faults()
    assert len(drain(pubsub_topic.subscription_path, delivered)) == delivered
