"""Build the sink that :class:`~eventgen.sinks.settings.SinkSettings` describe.

Cloud client libraries are imported only for the sink in use, so ``--sink stdout`` starts
fast and works without them configured.
"""

from __future__ import annotations

import datetime as dt
import threading
from dataclasses import dataclass

from eventgen.sinks.base import Sink
from eventgen.sinks.settings import SinkSettings

STREAM_ROTATE_SECONDS = 300.0
"""Files/objects of a stream complete at least every 5 minutes unless told otherwise."""


@dataclass(frozen=True)
class BuiltSink:
    """A sink and a human-readable description of where it writes."""

    sink: Sink
    location: str


def build_sink(
    settings: SinkSettings,
    *,
    generator_id: str,
    streaming: bool,
    partition_date: dt.date | None = None,
    stop: threading.Event | None = None,
    stop_grace: float = 30.0,
) -> BuiltSink:
    """Create the sink. ``streaming`` picks stream defaults (time rotation; objects dated by
    the wall clock); ``partition_date`` is a batch shard's ``dt=`` date for Cloud Storage.
    Part names come from ``generator_id`` alone: a stream's carries its run id. ``stop`` is
    the run's stop event: once set, a write blocked by back-pressure waits at most
    ``stop_grace`` more seconds (the flush timeout) instead of until the server answers."""
    rotate_seconds = settings.rotate_seconds
    if (
        streaming
        and rotate_seconds is None
        and (settings.output_is_folder or settings.kind == "gcs")
    ):
        rotate_seconds = STREAM_ROTATE_SECONDS
    if settings.kind == "stdout":
        from eventgen.sinks.stdout import StdoutSink

        return BuiltSink(StdoutSink(), "stdout")
    if settings.kind == "jsonl":
        from eventgen.sinks.jsonl import JsonlSink

        assert settings.output is not None
        jsonl = JsonlSink(
            settings.output,
            folder=settings.output_is_folder,
            generator_id=generator_id,
            compressed=settings.gzip,
            rotate_bytes=settings.rotate_bytes,
            rotate_seconds=rotate_seconds,
        )
        return BuiltSink(jsonl, jsonl.location)
    if settings.kind == "gcs":
        from eventgen.sinks.gcs import GcsSink

        assert settings.gcs_bucket is not None
        gcs = GcsSink(
            settings.gcs_bucket,
            settings.gcs_prefix,
            generator_id=generator_id,
            partition_date=None if streaming else partition_date,
            compressed=settings.gzip,
            rotate_bytes=settings.rotate_bytes,
            rotate_seconds=rotate_seconds,
        )
        return BuiltSink(gcs, gcs.location)
    if settings.kind == "pubsub":
        from eventgen.sinks.pubsub import PubSubSink

        assert settings.pubsub_project is not None and settings.pubsub_topic is not None
        pubsub = PubSubSink(
            settings.pubsub_project,
            settings.pubsub_topic,
            ordering=settings.ordering_key == "order_id",
            stop=stop,
            stop_grace=stop_grace,
        )
        location = f"projects/{settings.pubsub_project}/topics/{settings.pubsub_topic}"
        return BuiltSink(pubsub, location)
    raise AssertionError(f"unknown sink {settings.kind!r}")  # settings validated the choice
