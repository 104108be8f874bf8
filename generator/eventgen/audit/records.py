"""Reading ``(generator_id, sequence)`` out of event records, fast when they are ours.

The generator writes every event's keys in one order, ending in
``"generator_id":"…","sequence":N,"schema_version":V}``, so one regular expression over a
whole block of JSONL lines finds them without building a dict per event (about 1.7 million
lines per second against about 0.5 million for a full JSON parse). A block in which any
non-blank line does not end that way (another producer's key order, a BigQuery export
with INT64 as strings, a malformed event) is parsed line by line with a full JSON parser.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

import orjson

# Anchored at the line's end (re.M), so a line yields at most one match, and a line whose
# ending is not the generator's never matches.
TAIL = re.compile(
    rb'"generator_id":"([^"\\\n]*)","sequence":(\d{1,18}),"schema_version":\d+}[ \t\r]*$', re.M
)


MAX_SEQUENCE = 1 << 62  # beyond any real generator; kept runs are signed 64-bit


def identity_of(event: Any) -> tuple[str, int] | None:
    """``(generator_id, sequence)`` of a parsed event, or None if it does not carry both.

    A sequence may be a JSON integer or a string of digits (BigQuery exports INT64 as
    strings); booleans, negatives, fractions and numbers from 2**62 up are not sequences.
    """
    if not isinstance(event, Mapping):
        return None
    generator_id, sequence = event.get("generator_id"), event.get("sequence")
    if not isinstance(generator_id, str) or not generator_id:
        return None
    if isinstance(sequence, str) and sequence.isascii() and sequence.isdigit():
        sequence = int(sequence)
    if isinstance(sequence, bool) or not isinstance(sequence, int):
        return None
    if not 0 <= sequence < MAX_SEQUENCE:
        return None
    return generator_id, sequence


def parse_payload(payload: bytes | str) -> tuple[str, int] | None:
    """``(generator_id, sequence)`` of one JSON record, or None if it is not an event."""
    try:
        return identity_of(orjson.loads(payload))
    except orjson.JSONDecodeError:
        return None


def parse_block(block: bytes) -> tuple[list[tuple[bytes, bytes]], list[bytes]]:
    """Identities found in a block of whole JSONL lines, and the lines that need a full parse.

    Returns ``(matches, others)``: ``matches`` as raw ``(generator_id, sequence)`` bytes,
    ``others`` the non-blank lines the fast path could not read (empty in the usual case).
    """
    matches = TAIL.findall(block)
    lines = block.count(b"\n") + (0 if block.endswith(b"\n") or not block else 1)
    if len(matches) == lines:
        return matches, []
    # Some line is not in the generator's shape (or the block has blank lines): check each.
    matches, others = [], []
    for line in block.splitlines():
        if not line.strip():
            continue
        found = TAIL.search(line)
        if found is None:
            others.append(line)
        else:
            matches.append((found.group(1), found.group(2)))
    return matches, others
