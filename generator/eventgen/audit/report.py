"""Showing a verdict: a table for people, one JSON document for CI (``--format json``)."""

from __future__ import annotations

import json
from typing import Any

from eventgen.audit.verdict import GeneratorVerdict, Verdict

GENERATORS_SHOWN = 50  # rows in the text table; JSON always lists every generator


def ranges_text(ranges: tuple[tuple[int, int], ...], count: int) -> str:
    """``3-7, 12`` (+ ``… (N ranges)`` when more exist than are listed)."""
    shown = ", ".join(str(a) if a == b else f"{a}-{b}" for a, b in ranges)
    return shown + (f" … ({count:,} ranges)" if count > len(ranges) else "")


def text(verdict: Verdict) -> str:
    """The verdict as a fixed-width table, totals, and the reasons."""
    header = ("generator_id", "expected", "seen", "missing", "doubled", "first missing ranges")
    rows = [header]
    problem_first = sorted(verdict.generators, key=lambda g: (not (g.missing or g.doubled),))
    for g in problem_first[:GENERATORS_SHOWN]:
        rows.append(
            (
                g.generator_id,
                f"{g.expected:,}",
                f"{g.seen:,}",
                f"{g.missing:,}",
                f"{g.doubled:,}",
                ranges_text(g.missing_ranges, g.missing_range_count) or "-",
            )
        )
    widths = [max(len(row[i]) for row in rows) for i in range(len(header) - 1)]
    lines = [
        "  ".join(cell.ljust(w) for cell, w in zip(row[:-1], widths, strict=True)) + "  " + row[-1]
        for row in rows
    ]
    if len(verdict.generators) > GENERATORS_SHOWN:
        lines.append(
            f"… {len(verdict.generators) - GENERATORS_SHOWN:,} more generators "
            "(--format json lists all)"
        )
    repeated = verdict.repeated_event_ids
    lines.append(
        f"total: {len(verdict.generators):,} generators, {verdict.records:,} records, "
        f"expected {verdict.expected:,}, seen {verdict.seen:,}, missing {verdict.missing:,}, "
        f"doubled {verdict.doubled:,}, malformed {verdict.malformed:,}"
        + ("" if repeated is None else f", repeated event_ids {repeated:,}")
    )
    lines.extend(f"note: {note}" for note in verdict.notes)
    if verdict.complete:
        lines.append(f"verdict: COMPLETE, exactly once ({verdict.source})")
    else:
        lines.extend(f"problem: {problem}" for problem in verdict.problems)
        lines.append(f"verdict: INCOMPLETE ({verdict.source})")
    return "\n".join(lines)


def generator_json(g: GeneratorVerdict) -> dict[str, Any]:
    return {
        "generator_id": g.generator_id,
        "expected": g.expected,
        "seen": g.seen,
        "missing": g.missing,
        "missing_ranges": [list(r) for r in g.missing_ranges],
        "missing_range_count": g.missing_range_count,
        "doubled": g.doubled,
        "doubled_ranges": [list(r) for r in g.doubled_ranges],
        "repeated_event_ids": g.repeated_event_ids,
        "malformed": g.malformed,
    }


def as_json(verdict: Verdict) -> dict[str, Any]:
    """The verdict as plain data (what ``--format json`` prints)."""
    return {
        "source": verdict.source,
        "complete": verdict.complete,
        "exit_code": verdict.exit_code,
        "problems": list(verdict.problems),
        "notes": list(verdict.notes),
        "totals": {
            "generators": len(verdict.generators),
            "records": verdict.records,
            "expected": verdict.expected,
            "seen": verdict.seen,
            "missing": verdict.missing,
            "doubled": verdict.doubled,
            "repeated_event_ids": verdict.repeated_event_ids,
            "malformed": verdict.malformed,
            "unattributed_malformed": verdict.unattributed_malformed,
        },
        "generators": [generator_json(g) for g in verdict.generators],
    }


def json_text(verdict: Verdict) -> str:
    return json.dumps(as_json(verdict), indent=2)
