"""A local Pub/Sub gRPC server that the unmodified google-cloud-pubsub client talks to.

Google's emulator is a Java program that cannot be installed here, so this serves the part
of ``google.pubsub.v1`` the client uses through ``PUBSUB_EMULATOR_HOST``: CreateTopic,
GetTopic, Publish, DeleteTopic; CreateSubscription, GetSubscription, Pull, Acknowledge,
ModifyAckDeadline, StreamingPull, DeleteSubscription. Messages fan out from a topic to each
of its subscriptions (see ``pubsub_broker.py``). Not modelled: ordered delivery per ordering
key on the subscriber side (messages are delivered in publish order, which implies it),
exactly-once delivery, filters, retention limits.

Faults, for tests: :meth:`PubSubServer.fail_unavailable` answers every call with UNAVAILABLE
for a period; :meth:`PubSubServer.stall` holds every call unanswered for a period, and a
call whose client gave up meanwhile is then dropped without effect (a request lost on the
way); :meth:`PubSubServer.deny_call` answers one coming call with PERMISSION_DENIED (a
permanent error while other calls may still be refused as transient). From another process
the same knobs are a JSON control method on the same port, ``/pubsublocal.Control/Fault``
(see ``pubsub_process.py``).

Run on its own: ``python -m tests.support.pubsub_server --port N`` prints
``listening on 127.0.0.1:PORT`` (port 0 picks a free one) and serves until SIGTERM/SIGINT.
"""

from __future__ import annotations

import argparse
import json
import signal
import threading
import time
from collections.abc import Callable, Iterator
from concurrent import futures
from typing import Any

import grpc
from google.protobuf import empty_pb2
from google.pubsub_v1 import types

from tests.support.pubsub_broker import Broker, BrokerError

CONTROL_METHOD = "/pubsublocal.Control/Fault"
MAX_MESSAGE_BYTES = 32 * 1024 * 1024  # above the service's 10 MB per request, with room


class Faults:
    """Time windows during which the server refuses (UNAVAILABLE) or ignores (stall) calls."""

    def __init__(self, stopping: threading.Event) -> None:
        self._lock = threading.Condition()
        self._stopping = stopping
        self._unavailable_until = 0.0
        self._stall_until = 0.0
        self._calls_until_denial = 0  # 0: no denial pending
        self.refused_calls = 0
        self.stalled_calls = 0
        self.denied_calls = 0

    def fail_unavailable(self, seconds: float) -> None:
        with self._lock:
            self._unavailable_until = time.monotonic() + seconds

    def stall(self, seconds: float) -> None:
        with self._lock:
            self._stall_until = time.monotonic() + seconds

    def deny_call(self, number: int) -> None:
        """Answer the ``number``-th call from now (1 is the next) with PERMISSION_DENIED."""
        with self._lock:
            self._calls_until_denial = number

    def clear(self) -> None:
        with self._lock:
            self._unavailable_until = self._stall_until = 0.0
            self._calls_until_denial = 0
            self._lock.notify_all()

    def admit(self, context: grpc.ServicerContext) -> bool:
        """Apply the current fault to one call: abort it, hold it, or let it through.

        Returns False when the call was held and its client has gone meanwhile: the caller
        must then drop the request without acting on it.
        """
        with self._lock:
            denied = False
            if self._calls_until_denial:
                self._calls_until_denial -= 1
                denied = self._calls_until_denial == 0
            if denied:
                self.denied_calls += 1
                refused = False
            elif time.monotonic() < self._unavailable_until:
                self.refused_calls += 1
                refused = True
            else:
                refused = False
                if time.monotonic() < self._stall_until:
                    self.stalled_calls += 1
                while time.monotonic() < self._stall_until and not self._stopping.is_set():
                    self._lock.wait(min(0.2, self._stall_until - time.monotonic()))
        if denied:
            context.abort(grpc.StatusCode.PERMISSION_DENIED, "local server: injected denial")
        if refused:
            context.abort(grpc.StatusCode.UNAVAILABLE, "local server: injected UNAVAILABLE fault")
        return bool(context.is_active()) and not self._stopping.is_set()


class _Service:
    """The RPC handlers: decode nothing by hand, delegate to the broker, map its errors."""

    def __init__(self, broker: Broker, faults: Faults, stopping: threading.Event) -> None:
        self.broker = broker
        self.faults = faults
        self.stopping = stopping

    def unary(self, action: Callable[[Any], Any], empty: Any) -> Callable[[Any, Any], Any]:
        def handle(request: Any, context: grpc.ServicerContext) -> Any:
            if not self.faults.admit(context):
                return empty
            try:
                return action(request)
            except BrokerError as error:
                context.abort(error.code, str(error))

        return handle

    def publish(self, request: Any) -> Any:
        ids = self.broker.publish(request.topic, request.messages)
        return types.PublishResponse.pb()(message_ids=ids)

    def pull(self, request: Any) -> Any:
        received = self.broker.pull(
            request.subscription,
            request.max_messages or 1000,
            wait=0.0 if request.return_immediately else 1.0,
        )
        return types.PullResponse.pb()(received_messages=received)

    def streaming_pull(
        self, requests: Iterator[Any], context: grpc.ServicerContext
    ) -> Iterator[Any]:
        """Deliver messages to a ``subscribe()`` client until it cancels or the server stops."""
        first = next(requests, None)
        if first is None or not self.faults.admit(context):
            return
        name = first.subscription
        try:
            self.broker.get_subscription(name)
            self._apply_acks(name, first)
        except BrokerError as error:
            context.abort(error.code, str(error))
        ended = threading.Event()
        # The client keeps the request stream open for heartbeats (and, in some versions,
        # acks): it needs its own reader, as responses are produced on this thread.
        threading.Thread(
            target=self._read_stream, args=(name, requests, ended), daemon=True
        ).start()
        context.add_callback(ended.set)
        cap = first.max_outstanding_messages or 1000
        deadline = first.stream_ack_deadline_seconds or None
        mine: set[str] = set()
        response = types.StreamingPullResponse.pb()
        while not (ended.is_set() or self.stopping.is_set()) and context.is_active():
            if not self.faults.admit(context):
                return
            mine = self.broker.outstanding(name, mine)
            room = cap - len(mine)
            if room <= 0:
                time.sleep(0.02)
                continue
            try:
                received = self.broker.pull(name, min(room, 1000), wait=0.5, ack_deadline=deadline)
            except BrokerError as error:
                context.abort(error.code, str(error))
            if received:
                mine.update(r.ack_id for r in received)
                yield response(received_messages=received)

    def _read_stream(self, name: str, requests: Iterator[Any], ended: threading.Event) -> None:
        try:
            for request in requests:
                self._apply_acks(name, request)
        except (grpc.RpcError, BrokerError, ValueError):
            pass  # the stream ended or the subscription went away: the writer side notices
        finally:
            ended.set()

    def _apply_acks(self, name: str, request: Any) -> None:
        if request.ack_ids:
            self.broker.acknowledge(name, request.ack_ids)
        for ack_id, seconds in zip(
            request.modify_deadline_ack_ids, request.modify_deadline_seconds, strict=False
        ):
            self.broker.modify_ack_deadline(name, [ack_id], seconds)

    def control(self, request: bytes, context: grpc.ServicerContext) -> bytes:
        """JSON in, stats JSON out: ``{"unavailable": s}``, ``{"stall": s}``, ``{"deny": n}``,
        ``{"clear": 1}``."""
        command = json.loads(request or b"{}")
        if command.get("clear"):
            self.faults.clear()
        if "unavailable" in command:
            self.faults.fail_unavailable(float(command["unavailable"]))
        if "stall" in command:
            self.faults.stall(float(command["stall"]))
        if "deny" in command:
            self.faults.deny_call(int(command["deny"]))
        return json.dumps(self.stats()).encode()

    def stats(self) -> dict[str, int]:
        return {
            "published": self.broker.published,
            "refused_calls": self.faults.refused_calls,
            "stalled_calls": self.faults.stalled_calls,
            "denied_calls": self.faults.denied_calls,
        }


def _handlers(service: _Service) -> list[grpc.GenericRpcHandler]:
    broker, empty = service.broker, empty_pb2.Empty()

    def unary(action: Callable[[Any], Any], request_type: Any, response_type: Any) -> Any:
        return grpc.unary_unary_rpc_method_handler(
            service.unary(action, response_type()),
            request_deserializer=request_type.FromString,
            response_serializer=response_type.SerializeToString,
        )

    def nothing(action: Callable[[Any], None]) -> Callable[[Any], Any]:
        def run(request: Any) -> Any:
            action(request)
            return empty

        return run

    pb = {
        name: getattr(types, name).pb()
        for name in types.__all__
        if hasattr(getattr(types, name), "pb")
    }
    empty_type = empty_pb2.Empty
    publisher = {
        "CreateTopic": unary(broker.create_topic, pb["Topic"], pb["Topic"]),
        "GetTopic": unary(lambda r: broker.get_topic(r.topic), pb["GetTopicRequest"], pb["Topic"]),
        "Publish": unary(service.publish, pb["PublishRequest"], pb["PublishResponse"]),
        "DeleteTopic": unary(
            nothing(lambda r: broker.delete_topic(r.topic)), pb["DeleteTopicRequest"], empty_type
        ),
    }
    subscriber = {
        "CreateSubscription": unary(
            broker.create_subscription, pb["Subscription"], pb["Subscription"]
        ),
        "GetSubscription": unary(
            lambda r: broker.get_subscription(r.subscription),
            pb["GetSubscriptionRequest"],
            pb["Subscription"],
        ),
        "DeleteSubscription": unary(
            nothing(lambda r: broker.delete_subscription(r.subscription)),
            pb["DeleteSubscriptionRequest"],
            empty_type,
        ),
        "Pull": unary(service.pull, pb["PullRequest"], pb["PullResponse"]),
        "Acknowledge": unary(
            nothing(lambda r: broker.acknowledge(r.subscription, r.ack_ids)),
            pb["AcknowledgeRequest"],
            empty_type,
        ),
        "ModifyAckDeadline": unary(
            nothing(
                lambda r: broker.modify_ack_deadline(
                    r.subscription, r.ack_ids, r.ack_deadline_seconds
                )
            ),
            pb["ModifyAckDeadlineRequest"],
            empty_type,
        ),
        "StreamingPull": grpc.stream_stream_rpc_method_handler(
            service.streaming_pull,
            request_deserializer=pb["StreamingPullRequest"].FromString,
            response_serializer=pb["StreamingPullResponse"].SerializeToString,
        ),
    }
    control = {"Fault": grpc.unary_unary_rpc_method_handler(service.control)}
    return [
        grpc.method_handlers_generic_handler("google.pubsub.v1.Publisher", publisher),
        grpc.method_handlers_generic_handler("google.pubsub.v1.Subscriber", subscriber),
        grpc.method_handlers_generic_handler("pubsublocal.Control", control),
    ]


class PubSubServer:
    """The server, in this process. Use as a context manager or call start()/stop().

    ``port`` 0 picks a free port; :attr:`address` is then ``127.0.0.1:<port>``, the value
    for ``PUBSUB_EMULATOR_HOST``. ``max_workers`` bounds concurrent calls: each open
    StreamingPull and each stalled call holds one worker, so keep it generous.
    """

    def __init__(self, host: str = "127.0.0.1", port: int = 0, *, max_workers: int = 64) -> None:
        self._stopping = threading.Event()
        self.broker = Broker()
        self.faults = Faults(self._stopping)
        self._service = _Service(self.broker, self.faults, self._stopping)
        options = [
            ("grpc.max_receive_message_length", MAX_MESSAGE_BYTES),
            ("grpc.max_send_message_length", MAX_MESSAGE_BYTES),
        ]
        self._server = grpc.server(futures.ThreadPoolExecutor(max_workers), options=options)
        self._server.add_generic_rpc_handlers(_handlers(self._service))
        self.port = self._server.add_insecure_port(f"{host}:{port}")
        self.address = f"{host}:{self.port}"

    def start(self) -> PubSubServer:
        self._server.start()
        return self

    def stop(self, grace: float = 1.0) -> None:
        """Stop serving; open streams and stalled calls end at once."""
        self._stopping.set()
        self.faults.clear()
        with self.broker.changed:
            self.broker.changed.notify_all()
        self._server.stop(grace).wait()

    def fail_unavailable(self, seconds: float) -> None:
        """Answer every call with UNAVAILABLE for the next ``seconds`` seconds."""
        self.faults.fail_unavailable(seconds)

    def stall(self, seconds: float) -> None:
        """Hold every call unanswered for the next ``seconds`` seconds."""
        self.faults.stall(seconds)

    def deny_call(self, number: int) -> None:
        """Answer the ``number``-th call from now (1 is the next) with PERMISSION_DENIED."""
        self.faults.deny_call(number)

    def clear_faults(self) -> None:
        """End any fault window now (stalled calls proceed)."""
        self.faults.clear()

    def stats(self) -> dict[str, int]:
        """Counts: ``published`` messages; ``refused_calls``, ``stalled_calls`` and
        ``denied_calls`` by faults."""
        return self._service.stats()

    def __enter__(self) -> PubSubServer:
        return self.start()

    def __exit__(self, *_: object) -> None:
        self.stop()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="Local Pub/Sub gRPC server for tests")
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=8085, help="0 picks a free port")
    args = parser.parse_args(argv)
    server = PubSubServer(args.host, args.port).start()
    done = threading.Event()
    for number in (signal.SIGTERM, signal.SIGINT):
        signal.signal(number, lambda *_: done.set())
    print(f"listening on {server.address}", flush=True)
    done.wait()
    server.stop()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
