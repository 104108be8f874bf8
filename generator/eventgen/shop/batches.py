"""The unit the generator hands to the runtime: a batch of serialized events."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class EventBatch:
    """Consecutive events of one generator, already serialized.

    ``payloads[i]`` is one compact JSON object (no trailing newline) whose ``sequence``
    is ``first_sequence + i``; ``event_types[i]`` and ``order_ids[i]`` describe it without
    parsing (malformed payloads included, so sinks can count and key them).
    """

    generator_id: str
    first_sequence: int
    payloads: list[bytes]
    event_types: list[str]
    order_ids: list[str]

    def __len__(self) -> int:
        return len(self.payloads)

    @property
    def next_sequence(self) -> int:
        """Sequence number the following batch of the same generator starts at."""
        return self.first_sequence + len(self.payloads)

    def jsonl(self) -> bytes:
        """Return the payloads as JSON Lines: joined by ``\\n`` with a trailing ``\\n``."""
        if not self.payloads:
            return b""
        return b"\n".join(self.payloads) + b"\n"
