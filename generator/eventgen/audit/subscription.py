"""A Pub/Sub subscription: pull until it stays empty, count, acknowledge.

Audit a subscription of its own on the topic (the chart's optional
``cloud.pubsub.audit`` subscription): every subscription gets every message, and the audit
acknowledges what it read, so auditing the pipeline's subscription would take messages
away from the pipeline. That one (``ecommerce-events-sub``) is refused unless asked for.

A message that is not a readable event is counted as malformed and attributed to the
generator its ``generator_id`` attribute names (the generator's Pub/Sub sink sets it).
Messages are acknowledged after they are counted; one whose acknowledgement does not reach
the service before its ack deadline is redelivered and then counts as doubled.
``PUBSUB_EMULATOR_HOST`` selects an emulator.
"""

from __future__ import annotations

import re
import time
from typing import Any

from eventgen.audit.tally import Tally
from eventgen.errors import ConfigError, EventgenError

PIPELINE_SUBSCRIPTION = "ecommerce-events-sub"
PULL_BATCH = 1000
PULL_TIMEOUT_SECONDS = 30.0
SUBSCRIPTION_PATH = re.compile(r"^projects/([^/]+)/subscriptions/([^/]+)$")


def check_subscription(path: str, *, allow_pipeline: bool) -> str:
    """The subscription path, or ConfigError when malformed or the pipeline's own."""
    match = SUBSCRIPTION_PATH.match(path)
    if match is None:
        raise ConfigError(f"{path}: expected projects/PROJECT/subscriptions/SUBSCRIPTION")
    if match.group(2) == PIPELINE_SUBSCRIPTION and not allow_pipeline:
        raise ConfigError(
            f"{path} is the pipeline's subscription: the audit acknowledges what it reads, "
            "which takes those messages from the pipeline; audit a dedicated subscription "
            "(chart value cloud.pubsub.audit.enabled) or pass --allow-pipeline-subscription"
        )
    return path


def audit_subscription(
    path: str,
    tally: Tally,
    *,
    idle_seconds: float,
    max_messages: int | None = None,
    subscriber: Any = None,
) -> int:
    """Pull, count and acknowledge until ``idle_seconds`` pass without a message (or
    ``max_messages`` were read); returns how many messages were read."""
    from google.api_core.exceptions import GoogleAPIError, NotFound
    from google.cloud import pubsub_v1

    owned = subscriber is None
    client = pubsub_v1.SubscriberClient() if owned else subscriber
    read = 0
    quiet_until = time.monotonic() + idle_seconds
    try:
        while time.monotonic() < quiet_until and (max_messages is None or read < max_messages):
            wanted = PULL_BATCH if max_messages is None else min(PULL_BATCH, max_messages - read)
            response = client.pull(
                subscription=path, max_messages=wanted, timeout=PULL_TIMEOUT_SECONDS
            )
            received = response.received_messages
            if not received:
                continue
            for item in received:
                message = item.message
                tally.add_payload(message.data, message.attributes.get("generator_id"))
            client.acknowledge(subscription=path, ack_ids=[item.ack_id for item in received])
            read += len(received)
            quiet_until = time.monotonic() + idle_seconds
    except NotFound:
        raise ConfigError(f"{path}: no such subscription") from None
    except GoogleAPIError as error:
        message = str(error).splitlines()[0] if str(error) else type(error).__name__
        raise EventgenError(f"{path}: {message}") from None
    finally:
        if owned:
            client.close()
    return read
