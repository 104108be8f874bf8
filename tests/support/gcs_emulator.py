"""A real Cloud Storage HTTP emulator (gcp-storage-emulator) for tests, on a free port.

The emulator speaks the JSON API the real ``google-cloud-storage`` client uses, so sinks
are exercised over real HTTP through ``STORAGE_EMULATOR_HOST``. Known quirks (see
/work/shared/pubsub-local.md): it ignores ``if_generation_match``, drops fields given at
bucket creation and never applies lifecycle rules.
"""

from __future__ import annotations

import logging
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

from gcp_storage_emulator.server import create_server


@dataclass(frozen=True)
class GcsEmulator:
    """A running emulator: ``host`` is the value for ``STORAGE_EMULATOR_HOST``."""

    host: str
    server: Any

    def client(self) -> Any:
        """A real storage client pointed at this emulator with anonymous credentials."""
        from google.auth.credentials import AnonymousCredentials
        from google.cloud import storage

        return storage.Client(
            project="test",
            credentials=AnonymousCredentials(),  # type: ignore[no-untyped-call]
            client_options={"api_endpoint": self.host},
        )

    def wipe(self) -> None:
        """Delete every bucket and object."""
        self.server.wipe()


@contextmanager
def running_gcs_emulator() -> Iterator[GcsEmulator]:
    """Start an in-memory emulator on 127.0.0.1 and a free port; stop it afterwards."""
    logging.getLogger("gcp_storage_emulator").setLevel(logging.WARNING)
    server = create_server("127.0.0.1", 0, in_memory=True)
    server.start()
    # The bound port is only available on the emulator's private HTTP server object.
    port = server._api._httpd.server_address[1]
    try:
        yield GcsEmulator(host=f"http://127.0.0.1:{port}", server=server)
    finally:
        server.stop()
