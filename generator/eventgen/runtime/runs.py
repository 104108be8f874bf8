"""The run identity of a stream: which start of a streaming container produced an event.

A streaming container restarted inside its pod (exit 1 after a sink failure, an OOM kill)
keeps the pod name. Were the pod name the whole ``generator_id``, the new run would draw the
same seed and re-emit the previous run's ``event_id``s and ``sequence`` numbers from 0, and
a consumer deduplicating by ``event_id`` would drop it as duplicates. So every stream run
is its own generator: ``<base generator_id>.<run id>``, with its own seed and its own
gap-free sequence from 0. The run id defaults to the run's UTC start time to the second;
an empty run id keeps the bare base id (the reproducible replay of a stream).

Batch shards have no run id on purpose: a rerun of a shard must repeat its events and
object names, so that it overwrites instead of duplicating them.
"""

from __future__ import annotations

import datetime as dt
import re

RUN_ID_SEPARATOR = "."
"""Between the base generator_id and the run id. Safe in file and object names, never in
a run id, so the run id is always the text after the last separator."""

RUN_ID_MAX_LENGTH = 64
_RUN_ID = re.compile(r"^[A-Za-z0-9_-]*$")


def run_token(start: dt.datetime) -> str:
    """The default run id: ``start`` in UTC as ``YYYYmmddTHHMMSSZ`` (seconds resolution).

    Kubernetes restarts a failed container after a back-off of at least 10 s, so two runs
    of one pod never start within the same second.
    """
    return start.astimezone(dt.UTC).strftime("%Y%m%dT%H%M%SZ")


def parse_run_id(text: str) -> str:
    """A run id given by the user: letters, digits, ``_`` and ``-``, at most 64; may be empty."""
    if len(text) > RUN_ID_MAX_LENGTH:
        raise ValueError(f"run id {text[:20]!r}... is longer than {RUN_ID_MAX_LENGTH} characters")
    if not _RUN_ID.match(text):
        raise ValueError(
            f"run id {text!r} may contain only letters, digits, '_' and '-' "
            "(it becomes part of generator_id and of file names)"
        )
    return text


def stream_generator_id(base: str, run_id: str) -> str:
    """The ``generator_id`` of one stream run: ``<base>.<run_id>``, or ``base`` when the
    run id is empty (replay mode)."""
    return f"{base}{RUN_ID_SEPARATOR}{run_id}" if run_id else base
