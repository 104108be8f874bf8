"""Local JSONL files: one file, or a folder of rotated parts, optionally gzip-compressed.

Each part is written to ``<name>.tmp`` and renamed into place (an atomic replace on POSIX)
only once complete and synced, so a file under its final name is always whole: a batch
killed with SIGKILL leaves complete files plus at most one ``.tmp``, and a rerun replaces
its own files instead of appending to them.
"""

from __future__ import annotations

import os
import time
from collections.abc import Callable
from contextlib import suppress
from pathlib import Path
from typing import BinaryIO

from eventgen.errors import ConfigError, SinkError
from eventgen.sinks.rolling import RollingSink, open_encoder, part_name
from eventgen.sinks.targets import check_file_target, check_folder_target


class JsonlSink(RollingSink):
    """Writes JSONL to ``path``: a single file, or parts named per generator in a folder.

    ``folder``: treat ``path`` as a folder (created if missing) holding parts named by
    :func:`~eventgen.sinks.rolling.part_name`. A single file cannot rotate (there would be
    no name for the second part), so rotation options need a folder.
    """

    def __init__(
        self,
        path: Path,
        *,
        folder: bool,
        generator_id: str,
        compressed: bool = False,
        rotate_bytes: int | None = None,
        rotate_seconds: float | None = None,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        if not folder and (rotate_bytes is not None or rotate_seconds is not None):
            raise ConfigError(f"--output {path}: rotation needs a folder (end the path with '/')")
        super().__init__(
            compressed=compressed,
            rotate_bytes=rotate_bytes,
            rotate_seconds=rotate_seconds,
            clock=clock,
        )
        self._path = path
        self._folder = folder
        self._generator_id = generator_id
        # Before the folder is created or anything generated: never replace what is not ours.
        if folder:
            check_folder_target(path, generator_id)
        else:
            check_file_target(path)
        try:
            (path if folder else path.parent).mkdir(parents=True, exist_ok=True)
        except OSError as error:
            raise SinkError(f"cannot create output folder for {path}: {error.strerror}") from None
        self._final: Path | None = None
        self._raw: BinaryIO | None = None
        self._writer: BinaryIO | None = None

    @property
    def location(self) -> str:
        """Where the output goes, for summaries."""
        return str(self._path) + (os.sep if self._folder else "")

    def _target(self, index: int) -> Path:
        if not self._folder:
            return self._path
        name = part_name(self._generator_id, index, compressed=self.compressed)
        return self._path / name

    def _start_part(self, index: int) -> None:
        self._final = self._target(index)
        tmp = self._final.with_name(self._final.name + ".tmp")
        try:
            self._raw = tmp.open("wb")
        except OSError as error:
            raise SinkError(f"cannot write {tmp}: {error.strerror}") from None
        self._writer = open_encoder(self._raw, self.compressed)

    def _append(self, data: bytes) -> None:
        assert self._writer is not None
        try:
            self._writer.write(data)
        except OSError as error:
            raise SinkError(f"cannot write {self._final}.tmp: {error.strerror}") from None

    def _finish_part(self) -> str:
        assert self._writer is not None and self._raw is not None and self._final is not None
        tmp = self._final.with_name(self._final.name + ".tmp")
        try:
            if self._writer is not self._raw:
                self._writer.close()  # writes the gzip trailer, leaves the raw file open
            self._raw.flush()
            # Sync before the rename: otherwise a machine crash could leave the final name
            # pointing at an empty file.
            os.fsync(self._raw.fileno())
            self._raw.close()
            os.replace(tmp, self._final)
        except OSError as error:
            raise SinkError(f"cannot complete {self._final}: {error.strerror}") from None
        self._writer = self._raw = None
        return str(self._final)

    def _abandon_part(self) -> None:
        # Leave the .tmp where it is: it documents what was in flight, and its name keeps
        # it out of any reader's way. Closing may fail the way the write did (a full
        # disk); the part is given up either way.
        for stream in (self._writer, self._raw):
            if stream is not None:
                with suppress(OSError, ValueError):
                    stream.close()
        self._writer = self._raw = None
