"""Seeds for replicas and shards, derived from one user-facing seed.

Every replica or shard must draw its own events (no shared event_ids) while staying
reproducible, so its seed is a keyed hash of the spec's seed and its own name or index.
"""

from __future__ import annotations

import hashlib

SEED_BITS = 63  # fits a signed 64-bit integer, so it survives JSON, env vars and numpy


def derive_seed(seed: int, *parts: str | int) -> int:
    """Return a stable 63-bit seed for ``seed`` refined by ``parts`` (replica name, shard index).

    The same inputs always give the same seed, on every machine and Python version
    (blake2b, not ``hash()``); different parts give unrelated seeds. ``str`` and ``int``
    parts carry a type tag: ``derive_seed(1, 2)`` differs from ``derive_seed(1, "2")``.
    """
    if seed < 0:
        raise ValueError(f"seed must be >= 0, got {seed}")
    digest = hashlib.blake2b(digest_size=8, person=b"eventgen-seed")
    digest.update(seed.to_bytes(16, "little", signed=False))
    for part in parts:
        if isinstance(part, bool) or not isinstance(part, int | str):
            raise TypeError(f"seed parts must be str or int, got {type(part).__name__}")
        encoded = part.encode() if isinstance(part, str) else str(part).encode()
        tag = b"s" if isinstance(part, str) else b"i"
        digest.update(tag + len(encoded).to_bytes(4, "little") + encoded)
    return int.from_bytes(digest.digest(), "little") >> (64 - SEED_BITS)
