"""The verdict: per generator_id, what was expected, seen, missing and doubled; and why not.

Pure data and one judging function, shared by every source: the streaming sources (files,
Cloud Storage, a subscription) build it from :class:`~eventgen.audit.tally.Tally`, BigQuery
from the rows of its query.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

EXIT_COMPLETE = 0
EXIT_INCOMPLETE = 1
SIGMAS = 5.0  # width of the allowance for faults a source cannot show (see allowance())


@dataclass(frozen=True)
class Expectations:
    """What the audit is told about the run, so that it does not call intended faults losses.

    ``duplicate_rate`` and ``malformed_rate`` are the generator's own fault settings
    (``--duplicate-rate``, ``--malformed-rate``); ``allow_duplicates`` accepts doubled
    deliveries (an at-least-once path that is not deduplicated yet). ``expected_events``:
    how many events the generators made in all (a batch's ``--events``), which also
    catches a loss at the end of a generator's sequence, where highest sequence + 1
    cannot see it.
    """

    allow_duplicates: bool = False
    duplicate_rate: float = 0.0
    malformed_rate: float = 0.0
    expected_events: int | None = None


@dataclass(frozen=True)
class GeneratorVerdict:
    """One generator_id. Ranges are inclusive ``(first, last)`` sequence pairs, the first few.

    ``doubled``: records beyond the first for one sequence (a redelivery, a file loaded
    twice). ``repeated_event_ids``: extra sequences sharing one event_id (injected
    duplicates); None where the source does not count them (only BigQuery does).
    ``malformed``: records that were not readable events but were attributed to this
    generator (a Pub/Sub message's ``generator_id`` attribute).
    """

    generator_id: str
    expected: int
    seen: int
    missing: int
    missing_ranges: tuple[tuple[int, int], ...]
    missing_range_count: int
    doubled: int = 0
    doubled_ranges: tuple[tuple[int, int], ...] = ()
    repeated_event_ids: int | None = None
    malformed: int = 0


@dataclass(frozen=True)
class Verdict:
    """The audit's answer. ``complete`` is True when every expected event arrived exactly once
    (within the expectations); ``problems`` says, one line each, why not."""

    source: str
    generators: tuple[GeneratorVerdict, ...]
    records: int
    unattributed_malformed: int
    complete: bool
    problems: tuple[str, ...]
    notes: tuple[str, ...] = field(default=())

    @property
    def exit_code(self) -> int:
        """0 when complete and exactly once, 1 when events are missing or doubled."""
        return EXIT_COMPLETE if self.complete else EXIT_INCOMPLETE

    @property
    def expected(self) -> int:
        return sum(g.expected for g in self.generators)

    @property
    def seen(self) -> int:
        return sum(g.seen for g in self.generators)

    @property
    def missing(self) -> int:
        return sum(g.missing for g in self.generators)

    @property
    def doubled(self) -> int:
        return sum(g.doubled for g in self.generators)

    @property
    def repeated_event_ids(self) -> int | None:
        counts = [g.repeated_event_ids for g in self.generators]
        return None if any(c is None for c in counts) else sum(c or 0 for c in counts)

    @property
    def malformed(self) -> int:
        return self.unattributed_malformed + sum(g.malformed for g in self.generators)


def allowance(expected: int, share: float) -> int:
    """Most events a fault of probability ``share`` per event plausibly removed from ``expected``.

    Each event draws its fault independently, so the count is binomial; the mean plus
    SIGMAS standard deviations (rounded up) is exceeded with probability below one in a
    million, while a real loss larger than that still fails the audit.
    """
    if share <= 0 or expected <= 0:
        return 0
    mean = expected * share
    return math.ceil(mean + SIGMAS * math.sqrt(mean * (1 - min(share, 1.0))))


def judge(
    source: str,
    generators: list[GeneratorVerdict],
    *,
    records: int,
    unattributed_malformed: int,
    expectations: Expectations,
    malformed_visible: bool,
) -> Verdict:
    """Decide completeness. ``malformed_visible``: the source shows malformed records
    (files, objects, messages) rather than having lost them before the audit (a table)."""
    generators = sorted(generators, key=lambda g: g.generator_id)
    problems: list[str] = ["no events found"] if not generators else []
    notes: list[str] = []
    malformed = unattributed_malformed + sum(g.malformed for g in generators)
    if malformed and expectations.malformed_rate <= 0:
        problems.append(
            f"{malformed:,} records are not events (no generator_id and sequence); "
            "if the generator injected malformed events, pass --malformed-rate"
        )
    if malformed_visible:
        unexplained = gaps_left_by_malformed(
            generators, unattributed_malformed, expectations, notes
        )
    else:
        unexplained = gaps_left_by_table_faults(generators, expectations, notes)
    if unexplained:
        broken = sum(1 for g in generators if g.missing)
        problems.append(f"{unexplained:,} events missing in {broken:,} generator(s)")
    problems += tail_problems(generators, expectations)
    problems += duplicate_problems(generators, expectations, notes)
    return Verdict(
        source=source,
        generators=tuple(generators),
        records=records,
        unattributed_malformed=unattributed_malformed,
        complete=not problems,
        problems=tuple(problems),
        notes=tuple(notes),
    )


def gaps_left_by_malformed(
    generators: list[GeneratorVerdict],
    unattributed_malformed: int,
    expectations: Expectations,
    notes: list[str],
) -> int:
    """Missing sequences that the malformed records seen do not account for, exactly.

    A malformed record may have lost its sequence (a truncated payload): it explains one gap
    of its own generator, or of any generator when nothing names its generator.
    """
    missing = sum(g.missing for g in generators)
    if not missing or expectations.malformed_rate <= 0:
        return missing
    excess = sum(max(0, g.missing - g.malformed) for g in generators)
    unexplained = max(0, excess - unattributed_malformed)
    if missing > unexplained:
        malformed = unattributed_malformed + sum(g.malformed for g in generators)
        notes.append(
            f"{missing - unexplained:,} missing sequences are accounted for by "
            f"{malformed:,} malformed records"
        )
    return unexplained


def gaps_left_by_table_faults(
    generators: list[GeneratorVerdict], expectations: Expectations, notes: list[str]
) -> int:
    """Missing sequences beyond what the fault rates plausibly removed from a table.

    Malformed events never reach a table; when no event_id repeats, the injected copies
    were deduplicated away and their sequences are absent too (see :func:`allowance`).
    """
    missing = sum(g.missing for g in generators)
    share = expectations.malformed_rate
    if expectations.duplicate_rate > 0 and not any(g.repeated_event_ids for g in generators):
        share += expectations.duplicate_rate / (1 + expectations.duplicate_rate)
    expected = sum(g.expected for g in generators)
    bound = allowance(expected, share)
    if not missing or share <= 0 or missing > bound:
        return missing
    notes.append(
        f"{missing:,} missing sequences are within the {bound:,} that the fault settings "
        f"explain for {expected:,} events (malformed events never reach a table; "
        "deduplicated copies leave their sequence out)"
    )
    return 0


def tail_problems(generators: list[GeneratorVerdict], expectations: Expectations) -> list[str]:
    """The lost tail, which only a known total shows (``--expected-events``)."""
    told, expected = expectations.expected_events, sum(g.expected for g in generators)
    if told is None or told == expected:
        return []
    if told > expected:
        return [
            f"{told - expected:,} events missing after the highest sequences seen "
            f"(expected {told:,} events in all, the sequences account for {expected:,})"
        ]
    return [f"sequences account for {expected:,} events, more than the {told:,} expected"]


def duplicate_problems(
    generators: list[GeneratorVerdict], expectations: Expectations, notes: list[str]
) -> list[str]:
    """Doubled deliveries, and event_ids repeated under another sequence (BigQuery)."""
    problems = []
    doubled = sum(g.doubled for g in generators)
    if doubled and not expectations.allow_duplicates:
        problems.append(
            f"{doubled:,} records repeat a sequence already seen (doubled delivery); "
            "--allow-duplicates accepts that on an at-least-once path"
        )
    repeated = sum(g.repeated_event_ids or 0 for g in generators)
    if repeated and expectations.duplicate_rate > 0:
        notes.append(f"{repeated:,} event_ids repeated under a new sequence: injected duplicates")
    elif repeated and not expectations.allow_duplicates:
        problems.append(
            f"{repeated:,} event_ids repeated under another sequence; if the generator "
            "injected duplicates, pass --duplicate-rate"
        )
    return problems
