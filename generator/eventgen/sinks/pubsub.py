"""Publishing event batches to a Pub/Sub topic, fast and without unbounded memory.

How it is built, and why:

- Flow control: :meth:`PubSubSink.write` takes credit for its messages (a bound in messages
  *and* in payload bytes) before queueing them, and blocks while the bound is used up; credit
  comes back when a request is acknowledged or given up. A stalled server therefore stops
  the generator instead of growing memory.
- Lanes: ``max_in_flight_requests`` worker threads, each with its own queue, each sending one
  request at a time, so that many requests are in flight at once. A worker merges whatever
  its queue holds into requests of at most ``max_messages_per_request`` messages and
  ``max_bytes_per_request`` bytes (the service allows 1,000 and 10 MB), so a busy sink sends
  full requests and an idle one sends at once.
- Ordering (``ordering=True``): each message carries its order id as ordering key and every
  key always goes to the same lane (a stable hash), whose single worker sends requests one
  after another and retries a failed one before the next: the order of a key is the order
  of publication, which is what Pub/Sub's ordering keys require of a publisher. Without
  ordering, writes go to the lanes in turn.
- Errors: transient ones are retried (see ``pubsub_requests``); a permanent one (missing
  topic, permission denied, retries exhausted) fails the sink: the requests other lanes are
  still retrying are given up at once, the events still queued or in flight are counted as
  failed, every later ``write``/``flush`` raises :class:`SinkError`, and ``close`` does not
  wait for anything.
- Stopping: a ``write`` blocked on a server that accepts nothing would otherwise wait out
  the 600 s retry deadline. Once the run's ``stop`` event is set, it waits at most
  ``stop_grace`` seconds more for room, then counts the events it could not queue as
  failed, raises SinkError, and ``close`` abandons the rest at once (the grace is spent).

Each message carries attributes ``event_type``, ``schema_version`` and ``generator_id`` so
that subscribers can route and filter without parsing the payload.
"""

from __future__ import annotations

import itertools
import threading
import time
import zlib
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass, fields
from typing import TYPE_CHECKING, Any

from eventgen.errors import ConfigError, SinkError
from eventgen.shop.model import SCHEMA_VERSION
from eventgen.sinks.base import DeliveryStats
from eventgen.sinks.pubsub_requests import PublishFailed, PubsubMessage, RequestSender, RetryPolicy

if TYPE_CHECKING:
    from eventgen.shop.batches import EventBatch

# Bytes a message adds to a request beyond its payload, attributes and key (field tags,
# lengths, map entries); generous, so a request never crosses the service's 10 MB limit.
MESSAGE_OVERHEAD_BYTES = 64


@dataclass(frozen=True)
class PublishTuning:
    """Knobs of :class:`PubSubSink`; the defaults suit ~500-byte events.

    Counts are messages, sizes bytes, times seconds. Memory held by the sink is bounded by
    ``max_outstanding_messages`` and ``max_outstanding_bytes`` (payload bytes), whichever is
    reached first.
    """

    max_messages_per_request: int = 1000
    max_bytes_per_request: int = 9_000_000
    max_in_flight_requests: int = 4
    max_outstanding_messages: int = 20_000
    max_outstanding_bytes: int = 16 * 1024 * 1024
    request_timeout: float = 30.0
    retry_deadline: float = 600.0

    def __post_init__(self) -> None:
        for item in fields(self):
            value = getattr(self, item.name)
            if not value > 0:
                raise ConfigError(f"Pub/Sub sink setting {item.name} must be > 0 (got {value})")
        if self.max_messages_per_request > 1000 or self.max_bytes_per_request > 10_000_000:
            raise ConfigError("Pub/Sub allows at most 1000 messages and 10 MB per request")


class _Credit:
    """Counting bound on messages and bytes accepted but not yet acknowledged or failed."""

    def __init__(self, max_messages: int, max_bytes: int) -> None:
        self.changed = threading.Condition()
        self.messages = 0
        self.bytes = 0
        self._max_messages = max_messages
        self._max_bytes = max_bytes

    def take(self, messages: int, size: int, give_up: Callable[[], bool]) -> bool:
        """Block until there is room (an oversized chunk is let in alone) and take it; return
        False, taking nothing, if ``give_up()`` turns true first (polled every 0.5 s)."""
        with self.changed:
            while self.messages and (
                self.messages + messages > self._max_messages or self.bytes + size > self._max_bytes
            ):
                if give_up():
                    return False
                self.changed.wait(0.5)
            self.messages += messages
            self.bytes += size
            return True

    def give_back(self, messages: int, size: int) -> None:
        with self.changed:
            self.messages -= messages
            self.bytes -= size
            self.changed.notify_all()


@dataclass
class _Chunk:
    """Events queued together (one write's share for one lane), not yet protobuf messages.

    Messages are built only when their request is sent: a queued event then costs its
    payload and three list slots, about a third of what a built message with its attribute
    map costs, so the flow-control bound goes further in memory.
    """

    generator_id: str
    payloads: list[bytes]
    event_types: list[str]
    order_ids: list[str] | None
    request_bytes: int
    payload_bytes: int


class _Lane:
    """A queue of chunks and the one worker thread that publishes them in order."""

    def __init__(self, sink: PubSubSink, number: int) -> None:
        self._sink = sink
        self._queue: deque[_Chunk] = deque()
        self._ready = threading.Condition()
        self._closing = False
        self._thread = threading.Thread(target=self._run, name=f"pubsub-lane-{number}", daemon=True)
        self._thread.start()

    def put(self, chunk: _Chunk) -> None:
        with self._ready:
            self._queue.append(chunk)
            self._ready.notify()

    def close(self) -> None:
        with self._ready:
            self._closing = True
            self._ready.notify()

    def join(self, timeout: float | None = None) -> None:
        self._thread.join(timeout)

    def _take(self) -> list[_Chunk] | None:
        """The next request's worth of chunks (always at least one), or None when closed."""
        tuning = self._sink.tuning
        with self._ready:
            while not self._queue and not self._closing:
                self._ready.wait()
            if not self._queue:
                return None
            taken = [self._queue.popleft()]
            count, size = len(taken[0].payloads), taken[0].request_bytes
            while self._queue:
                following = self._queue[0]
                if (
                    count + len(following.payloads) > tuning.max_messages_per_request
                    or size + following.request_bytes > tuning.max_bytes_per_request
                ):
                    break
                taken.append(self._queue.popleft())
                count += len(following.payloads)
                size += following.request_bytes
            return taken

    def _run(self) -> None:
        while (chunks := self._take()) is not None:
            self._sink._publish(chunks)


class PubSubSink:
    """A :class:`~eventgen.sinks.base.Sink` that publishes each event as one Pub/Sub message.

    ``project`` and ``topic`` name the topic (``projects/PROJECT/topics/TOPIC``);
    ``ordering=True`` sets each message's ordering key to its order id; ``stop`` is the
    run's stop event and ``stop_grace`` the seconds a blocked ``write`` may still wait for
    room once it is set; ``**tuning`` takes the fields of :class:`PublishTuning`.
    Credentials come from the environment (Application Default Credentials, Workload
    Identity in a pod); ``PUBSUB_EMULATOR_HOST`` points the client at a local server.
    """

    def __init__(
        self,
        project: str,
        topic: str,
        *,
        ordering: bool = False,
        stop: threading.Event | None = None,
        stop_grace: float = 30.0,
        **tuning: Any,
    ) -> None:
        try:
            self.tuning = PublishTuning(**tuning)
        except TypeError as error:
            raise ConfigError(f"unknown Pub/Sub sink setting: {error}") from None
        self.ordering = ordering
        self.topic_path = f"projects/{project}/topics/{topic}"
        self._stats = DeliveryStats()
        self._broken = threading.Event()
        self._error: str | None = None
        self._credit = _Credit(
            self.tuning.max_outstanding_messages, self.tuning.max_outstanding_bytes
        )
        policy = RetryPolicy(
            timeout=self.tuning.request_timeout, deadline=self.tuning.retry_deadline
        )
        # Set on close or on the first permanent failure: retrying requests give up then,
        # since nothing they deliver could make the run succeed any more.
        self._stopping = threading.Event()
        self._sender = RequestSender(self.topic_path, policy, self._stopping)
        self._lanes = [_Lane(self, n) for n in range(self.tuning.max_in_flight_requests)]
        self._turn = itertools.cycle(range(len(self._lanes)))
        self._closed = False
        self._stop = stop
        self._stop_grace = stop_grace
        self._stop_seen: float | None = None
        # Set when the caller has already waited as long as it wanted (a timed-out flush, a
        # write that gave up after a stop): close() then abandons what is left at once.
        self._abandon_on_close = False
        self._attributes: dict[tuple[str, str], dict[str, str]] = {}

    @property
    def stats(self) -> DeliveryStats:
        """Events acknowledged by Pub/Sub (``delivered``) and given up on (``failed``)."""
        return self._stats

    def write(self, batch: EventBatch) -> None:
        """Queue every event of ``batch`` for publishing; blocks while the sink is full.

        Raises SinkError once the sink has failed; the events of this batch that were not
        queued are then counted as failed (the contract: none uncounted).
        """
        if self._broken.is_set() or self._closed:
            self._stats.add_failed(len(batch))
            self._raise_if_failed()
            raise SinkError("Pub/Sub sink is closed")
        parts = self._split(batch)
        for number, (lane, chunk) in enumerate(parts):
            if not self._enqueue(lane, chunk):
                # Events that never reached a queue are failed too, so that delivered +
                # failed still adds up to what was written.
                unqueued = sum(len(rest.payloads) for _, rest in parts[number:])
                self._stats.add_failed(unqueued)
                self._raise_if_failed()
                self._abandon_on_close = True
                raise SinkError(
                    f"stopped while Pub/Sub accepted no more events: gave up waiting "
                    f"{self._stop_grace:g} s for {self.topic_path}, {unqueued} events not queued"
                )
        self._raise_if_failed()

    def flush(self, timeout: float | None = None) -> None:
        """Wait until every written event is acknowledged or failed (``timeout`` in seconds).

        Raises SinkError if the sink failed or the timeout passed with events undelivered.
        """
        give_up = None if timeout is None else time.monotonic() + timeout
        with self._credit.changed:
            while self._credit.messages and not self._broken.is_set():
                left = None if give_up is None else give_up - time.monotonic()
                if left is not None and left <= 0:
                    self._abandon_on_close = True
                    raise SinkError(
                        f"Pub/Sub flush timed out after {timeout:g} s with "
                        f"{self._credit.messages} events not yet acknowledged"
                    )
                self._credit.changed.wait(0.5 if left is None else min(0.5, left))
        self._raise_if_failed()
        self._abandon_on_close = False

    def close(self) -> None:
        """Flush, then stop the workers and close the channel. Idempotent.

        The flush has no time limit of its own (each request still gives up at the retry
        deadline), except after a ``flush(timeout)`` that timed out, a ``write`` that gave
        up after a stop, or a permanent failure: the caller has then already waited as long
        as it wanted or nothing more can succeed, so the events still queued or in flight
        are abandoned at once and counted as failed.
        Raises SinkError if any event failed.
        """
        if self._closed:
            return
        self._closed = True
        try:
            if not (self._abandon_on_close or self._broken.is_set()):
                self.flush()
        finally:
            self._stopping.set()
            for lane in self._lanes:
                lane.close()
            # Closing the channel cancels requests in flight, so no worker waits out a
            # request timeout against a server that does not answer.
            self._sender.close()
            for lane in self._lanes:
                lane.join(self.tuning.request_timeout + 1)
        self._raise_if_failed()

    # -- internals ----------------------------------------------------------------------
    def _split(self, batch: EventBatch) -> list[tuple[int, _Chunk]]:
        """``batch`` as (lane, chunk) pairs of at most one request's worth of messages:
        by ordering key's lane when ordering, else to the lanes in turn."""
        step = self.tuning.max_messages_per_request
        if not self.ordering:
            return [
                (
                    next(self._turn),
                    self._chunk(
                        batch.generator_id,
                        batch.payloads[start : start + step],
                        batch.event_types[start : start + step],
                        None,
                    ),
                )
                for start in range(0, len(batch), step)
            ]
        keyed: dict[int, list[int]] = {}
        for index, order_id in enumerate(batch.order_ids):
            keyed.setdefault(zlib.crc32(order_id.encode()) % len(self._lanes), []).append(index)
        parts = []
        for lane, indexes in keyed.items():
            for start in range(0, len(indexes), step):
                part = indexes[start : start + step]
                chunk = self._chunk(
                    batch.generator_id,
                    [batch.payloads[i] for i in part],
                    [batch.event_types[i] for i in part],
                    [batch.order_ids[i] for i in part],
                )
                parts.append((lane, chunk))
        return parts

    def _chunk(
        self,
        generator_id: str,
        payloads: list[bytes],
        event_types: list[str],
        order_ids: list[str] | None,
    ) -> _Chunk:
        payload_bytes = sum(map(len, payloads))
        extra = MESSAGE_OVERHEAD_BYTES + 80 + len(generator_id)  # attributes are short
        if order_ids is not None:
            extra += max(map(len, order_ids), default=0)
        request_bytes = payload_bytes + extra * len(payloads)
        return _Chunk(generator_id, payloads, event_types, order_ids, request_bytes, payload_bytes)

    def _enqueue(self, lane: int, chunk: _Chunk) -> bool:
        """Queue ``chunk`` on ``lane`` once there is room; False if the sink broke or the
        stop's grace ran out first (nothing queued)."""
        if not self._credit.take(len(chunk.payloads), chunk.payload_bytes, self._stop_waiting):
            return False
        self._lanes[lane].put(chunk)
        return True

    def _stop_waiting(self) -> bool:
        """True when a write blocked for room should give up: the sink broke, or the run
        was stopped more than ``stop_grace`` seconds ago."""
        if self._broken.is_set():
            return True
        if self._stop is None or not self._stop.is_set():
            return False
        now = time.monotonic()
        if self._stop_seen is None:
            self._stop_seen = now
        return now - self._stop_seen >= self._stop_grace

    def _messages(self, chunks: list[_Chunk]) -> list[Any]:
        """The protobuf messages of ``chunks``, attributes and ordering keys set."""
        messages = []
        for chunk in chunks:
            for index, (payload, event_type) in enumerate(
                zip(chunk.payloads, chunk.event_types, strict=True)
            ):
                key = (chunk.generator_id, event_type)
                attributes = self._attributes.get(key)
                if attributes is None:
                    attributes = self._attributes[key] = {
                        "event_type": event_type,
                        "schema_version": str(SCHEMA_VERSION),
                        "generator_id": chunk.generator_id,
                    }
                if chunk.order_ids is None:
                    messages.append(PubsubMessage(data=payload, attributes=attributes))
                else:
                    messages.append(
                        PubsubMessage(
                            data=payload,
                            attributes=attributes,
                            ordering_key=chunk.order_ids[index],
                        )
                    )
        return messages

    def _publish(self, chunks: list[_Chunk]) -> None:
        """Run by a lane's worker: send ``chunks`` as one request, then settle the credit."""
        count = sum(len(c.payloads) for c in chunks)
        payload_bytes = sum(c.payload_bytes for c in chunks)
        try:
            if self._broken.is_set():
                raise PublishFailed(self._error or "Pub/Sub sink failed")
            if self._stopping.is_set():
                raise PublishFailed(
                    f"Pub/Sub sink closed with events undelivered to {self.topic_path}"
                )
            self._sender.send(self._messages(chunks))
        except Exception as error:
            # Any error, expected or not, must settle the chunk: a worker that died here
            # would leave its credit taken and every later flush waiting forever.
            if self._error is None:
                self._error = (
                    str(error)
                    if isinstance(error, PublishFailed)
                    else f"publishing to {self.topic_path} failed: {type(error).__name__}: "
                    + " ".join(str(error).split())
                )
            self._broken.set()
            self._stopping.set()
            self._stats.add_failed(count)
        else:
            self._stats.add_delivered(count, payload_bytes)
        finally:
            self._credit.give_back(count, payload_bytes)

    def _raise_if_failed(self) -> None:
        if self._broken.is_set():
            raise SinkError(self._error or "Pub/Sub sink failed")
