"""Local JSONL files and folders, plain or gzip, read in blocks of whole lines.

A folder is searched recursively for ``*.jsonl``, ``*.ndjson`` and ``*.json`` files, each
optionally ``.gz``; ``*.tmp`` files (a part still being written) are left out. Gzip is
recognised by its first bytes, not by the name, and multi-member gzip files are read whole.
"""

from __future__ import annotations

import gzip
import zlib
from collections.abc import Iterator
from pathlib import Path, PurePath
from typing import BinaryIO

from eventgen.audit.tally import Tally
from eventgen.errors import ConfigError

BLOCK_BYTES = 4 * 1024 * 1024
GZIP_MAGIC = b"\x1f\x8b"
SUFFIXES = (".jsonl", ".ndjson", ".json")


def is_event_file(path: PurePath) -> bool:
    """Whether a file found in a folder holds events, by its name."""
    name = path.name.removesuffix(".gz")
    return name.endswith(SUFFIXES)


def expand(source: str) -> list[Path]:
    """The files a local SOURCE names: itself, or the event files under a folder, sorted."""
    path = Path(source)
    if path.is_file():
        return [path]
    if path.is_dir():
        found = sorted(p for p in path.rglob("*") if p.is_file() and is_event_file(p))
        if not found:
            raise ConfigError(f"{source}: no *.jsonl, *.ndjson or *.json files (plain or .gz)")
        return found
    raise ConfigError(f"{source}: no such file or folder")


def blocks(stream: BinaryIO) -> Iterator[bytes]:
    """Blocks of whole lines from a binary stream (the last line may lack its newline)."""
    rest = b""
    while True:
        data = stream.read(BLOCK_BYTES)
        if not data:
            break
        data = rest + data
        cut = data.rfind(b"\n") + 1
        if cut == 0:
            rest = data  # one line longer than a block: keep reading
            continue
        rest = data[cut:]
        yield data[:cut]
    if rest.strip():
        yield rest


def feed(stream: BinaryIO, tally: Tally, name: str) -> None:
    """Count every record of a seekable stream, decompressing it if it is gzip."""
    magic = stream.read(2)
    stream.seek(0)
    try:
        if magic == GZIP_MAGIC:
            with gzip.GzipFile(fileobj=stream, mode="rb") as unzipped:
                for block in blocks(unzipped):  # type: ignore[arg-type]
                    tally.add_block(block)
        else:
            for block in blocks(stream):
                tally.add_block(block)
    except (gzip.BadGzipFile, EOFError, zlib.error) as error:
        raise ConfigError(f"{name}: not a readable gzip file ({error})") from None


def audit_paths(sources: list[str], tally: Tally) -> int:
    """Count every record of the local SOURCEs; returns how many files were read."""
    paths = [path for source in sources for path in expand(source)]
    for path in paths:
        try:
            with path.open("rb") as stream:
                feed(stream, tally, str(path))
        except OSError as error:
            raise ConfigError(f"{path}: {error.strerror or error}") from None
    return len(paths)
