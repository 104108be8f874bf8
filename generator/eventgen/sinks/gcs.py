"""Cloud Storage: JSONL objects, date-partitioned, ready for BigQuery load jobs.

Object names: ``<prefix>events/dt=<YYYY-MM-DD>/<part name>`` (see
:func:`~eventgen.sinks.rolling.part_name`). A batch shard passes its start date and its
generator_id has no run id, so a rerun writes exactly the same names and overwrites (never
duplicates) its objects; a stream's generator_id carries its run id (see
:mod:`eventgen.runtime.runs`) and it takes ``dt`` from the wall clock when each part opens. Each
part is assembled in memory (at most ``rotate_bytes``) and uploaded in one request, so an
object exists only when complete.
``STORAGE_EMULATOR_HOST`` is honoured by the client library itself.
"""

from __future__ import annotations

import datetime as dt
import importlib
from typing import Any

from eventgen.errors import SinkError
from eventgen.sinks.base import no_credentials
from eventgen.sinks.rolling import MemoryPart, RollingSink, part_name

DEFAULT_ROTATE_BYTES = 64 * 1024 * 1024
"""Uncompressed bytes per object unless told otherwise: bounds the sink's memory."""


def object_prefix(prefix: str) -> str:
    """Normalise ``--gcs-prefix``: no leading slash, a trailing slash unless empty."""
    prefix = prefix.lstrip("/")
    return prefix if not prefix or prefix.endswith("/") else prefix + "/"


def make_client() -> Any:
    """A ``google.cloud.storage.Client``; anonymous against an emulator, else ADC."""
    import os

    from google.auth.exceptions import DefaultCredentialsError
    from google.cloud import storage

    try:
        if os.environ.get("STORAGE_EMULATOR_HOST"):
            credentials: Any = importlib.import_module("google.auth.credentials")
            project = os.environ.get("GOOGLE_CLOUD_PROJECT", "local")
            return storage.Client(project=project, credentials=credentials.AnonymousCredentials())
        return storage.Client()
    except DefaultCredentialsError as error:
        raise no_credentials("Cloud Storage", error) from None


class GcsSink(RollingSink):
    """Uploads rotated JSONL parts to ``gs://<bucket>/<prefix>events/dt=.../``.

    ``partition_date``: the ``dt=`` of every object (a batch shard's start date); None
    means the UTC date at the moment each part opens (streaming). ``client``: a
    ``google.cloud.storage.Client``, built from the environment when omitted.
    """

    def __init__(
        self,
        bucket: str,
        prefix: str,
        *,
        generator_id: str,
        partition_date: dt.date | None = None,
        compressed: bool = False,
        rotate_bytes: int | None = DEFAULT_ROTATE_BYTES,
        rotate_seconds: float | None = None,
        client: Any = None,
    ) -> None:
        super().__init__(
            compressed=compressed,
            rotate_bytes=rotate_bytes if rotate_bytes is not None else DEFAULT_ROTATE_BYTES,
            rotate_seconds=rotate_seconds,
        )
        self._client = client if client is not None else make_client()
        self._bucket = self._client.bucket(bucket)
        self._bucket_name = bucket
        self._prefix = object_prefix(prefix)
        self._generator_id = generator_id
        self._partition_date = partition_date
        self._part: MemoryPart | None = None
        self._object_name = ""

    @property
    def location(self) -> str:
        """Where the output goes, for summaries."""
        return f"gs://{self._bucket_name}/{self._prefix}events/"

    def _start_part(self, index: int) -> None:
        day = self._partition_date or dt.datetime.now(dt.UTC).date()
        name = part_name(self._generator_id, index, compressed=self.compressed)
        self._object_name = f"{self._prefix}events/dt={day.isoformat()}/{name}"
        self._part = MemoryPart(self.compressed)

    def _append(self, data: bytes) -> None:
        assert self._part is not None
        self._part.append(data)

    def _finish_part(self) -> str:
        from google.api_core.exceptions import GoogleAPIError
        from google.cloud.storage.retry import DEFAULT_RETRY

        assert self._part is not None
        data = self._part.finish()
        self._part = None
        blob = self._bucket.blob(self._object_name)
        content_type = "application/gzip" if self.compressed else "application/x-ndjson"
        try:
            # Overwriting a part with identical bytes is harmless, so uploads are retried
            # even without a generation precondition.
            blob.upload_from_string(data, content_type=content_type, retry=DEFAULT_RETRY)
        except (GoogleAPIError, OSError) as error:
            message = str(error).splitlines()[0] if str(error) else type(error).__name__
            raise SinkError(
                f"upload of gs://{self._bucket_name}/{self._object_name} failed: {message}"
            ) from None
        return f"gs://{self._bucket_name}/{self._object_name}"

    def _abandon_part(self) -> None:
        self._part = None
