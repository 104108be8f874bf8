"""Publish throughput: PubSubSink against the client's default publish(), same run.

One process publishes ~500-byte events from the real generator to the local Pub/Sub server
running in a separate process. Goal: the sink at least 3x the default client and at least
50,000 events/s. Prints both figures, their ratio and one JSON line.
"""

from __future__ import annotations

import argparse
import json
import time
from concurrent import futures

from google.cloud import pubsub_v1

from bench.pubsub_support import PROJECT, TOPIC, EventPool, local_topic
from eventgen.sinks.pubsub import PubSubSink

GOAL_RATIO = 3.0
GOAL_EVENTS_PER_SECOND = 50_000


def default_client_rate(pool: EventPool, total: int) -> float:
    """Events/s of ``PublisherClient().publish()`` with default batch settings, to the last ack."""
    client = pubsub_v1.PublisherClient()
    topic = client.topic_path(PROJECT, TOPIC)
    pending: list[futures.Future[str]] = []
    started = time.perf_counter()
    sent = 0
    for batch in pool.batches():
        for payload, event_type in zip(batch.payloads, batch.event_types, strict=True):
            pending.append(
                client.publish(
                    topic,
                    payload,
                    event_type=event_type,
                    schema_version="1",
                    generator_id=batch.generator_id,
                )
            )
        sent += len(batch)
        if sent >= total:
            break
    for future in pending:
        future.result()
    elapsed = time.perf_counter() - started
    client.stop()
    return sent / elapsed


def sink_rate(pool: EventPool, total: int) -> float:
    """Events/s of PubSubSink with its default tuning: first write to flush complete."""
    sink = PubSubSink(PROJECT, TOPIC)
    started = time.perf_counter()
    sent = 0
    for batch in pool.batches():
        sink.write(batch)
        sent += len(batch)
        if sent >= total:
            break
    sink.flush()
    elapsed = time.perf_counter() - started
    delivered = sink.stats.delivered
    sink.close()
    if delivered != sent:
        raise RuntimeError(f"sink delivered {delivered} of {sent} events")
    return sent / elapsed


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="bench.pubsub_publish", description=__doc__)
    parser.add_argument("--quick", action="store_true", help="fewer events (a smoke run)")
    parser.add_argument("--events", type=int, help="events per publisher (default 200,000)")
    args = parser.parse_args(argv)
    total = args.events or (40_000 if args.quick else 200_000)
    pool = EventPool(10_000)
    with local_topic():
        baseline = default_client_rate(pool, total)
        ours = sink_rate(pool, total)
    ratio = ours / baseline
    print(f"pubsub_publish: {total:,} events of {pool.mean_bytes:.0f} bytes (mean) per publisher")
    print(f"  default PublisherClient.publish(): {baseline:10,.0f} events/s")
    print(f"  PubSubSink:                        {ours:10,.0f} events/s")
    print(
        f"  ratio {ratio:.2f}x (goal >= {GOAL_RATIO:g}x); "
        f"sink {'meets' if ours >= GOAL_EVENTS_PER_SECOND else 'misses'} "
        f"the {GOAL_EVENTS_PER_SECOND:,} events/s goal"
    )
    print(
        json.dumps(
            {
                "bench": "pubsub_publish",
                "events": total,
                "mean_event_bytes": round(pool.mean_bytes),
                "default_client_events_per_s": round(baseline),
                "sink_events_per_s": round(ours),
                "ratio": round(ratio, 2),
                "goal_ratio": GOAL_RATIO,
                "goal_events_per_s": GOAL_EVENTS_PER_SECOND,
            }
        )
    )
    return 0 if ratio >= GOAL_RATIO and ours >= GOAL_EVENTS_PER_SECOND else 1


if __name__ == "__main__":
    raise SystemExit(main())
