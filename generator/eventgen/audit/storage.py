"""``gs://BUCKET/PREFIX``: every event object under a prefix, through google-cloud-storage.

Objects are listed under the prefix (``gs://b/raw/events/dt=2026-11-26/`` for one day of a
batch) and chosen by name like files in a folder; each is downloaded into a temporary file
and read like one, so memory stays bounded whatever the object's size. Credentials are
Application Default Credentials; ``STORAGE_EMULATOR_HOST`` selects an emulator (anonymous).
"""

from __future__ import annotations

import tempfile
from pathlib import PurePosixPath
from typing import Any

from eventgen.audit.files import feed, is_event_file
from eventgen.audit.tally import Tally
from eventgen.errors import ConfigError, EventgenError


def split_url(url: str) -> tuple[str, str]:
    """``gs://bucket/prefix`` -> ``("bucket", "prefix")``; ConfigError when no bucket."""
    rest = url.removeprefix("gs://")
    bucket, _, prefix = rest.partition("/")
    if not bucket:
        raise ConfigError(f"{url}: expected gs://BUCKET/PREFIX")
    return bucket, prefix


def make_client() -> Any:
    """The storage client the generator's sink uses (emulator-aware)."""
    from eventgen.sinks.gcs import make_client as sink_client

    try:
        return sink_client()
    except EventgenError as error:
        raise ConfigError(str(error)) from None


def audit_bucket(url: str, tally: Tally, client: Any = None) -> int:
    """Count every record of the event objects under ``url``; returns how many were read."""
    from google.api_core.exceptions import GoogleAPIError, NotFound

    bucket, prefix = split_url(url)
    client = client if client is not None else make_client()
    read = 0
    try:
        for blob in client.list_blobs(bucket, prefix=prefix):
            if not is_event_file(PurePosixPath(blob.name)):
                continue
            with tempfile.TemporaryFile() as spool:
                blob.download_to_file(spool)
                spool.seek(0)
                feed(spool, tally, f"gs://{bucket}/{blob.name}")
            read += 1
    except NotFound:
        raise ConfigError(f"gs://{bucket}: no such bucket") from None
    except GoogleAPIError as error:
        message = str(error).splitlines()[0] if str(error) else type(error).__name__
        raise EventgenError(f"gs://{bucket}/{prefix}: {message}") from None
    if not read:
        raise ConfigError(f"{url}: no *.jsonl, *.ndjson or *.json objects (plain or .gz)")
    return read
