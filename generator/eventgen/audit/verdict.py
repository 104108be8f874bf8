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
    problems: list[str] = []
    notes: list[str] = []
    generators = sorted(generators, key=lambda g: g.generator_id)
    missing = sum(g.missing for g in generators)
    malformed = unattributed_malformed + sum(g.malformed for g in generators)
    expected = sum(g.expected for g in generators)
    if not generators:
        problems.append("no events found")
    if malformed and expectations.malformed_rate <= 0:
        problems.append(
            f"{malformed:,} records are not events (no generator_id and sequence); "
            "if the generator injected malformed events, pass --malformed-rate"
        )
    unexplained = missing
    if missing and expectations.malformed_rate > 0 and malformed_visible:
        # A malformed record may have lost its sequence (a truncated payload): it explains one
        # gap of its own generator, or of any generator when nothing names its generator.
        excess = sum(max(0, g.missing - g.malformed) for g in generators)
        unexplained = max(0, excess - unattributed_malformed)
        if missing > unexplained:
            notes.append(
                f"{missing - unexplained:,} missing sequences are accounted for by "
                f"{malformed:,} malformed records"
            )
    elif missing and not malformed_visible:
        share = expectations.malformed_rate
        repeated = sum(g.repeated_event_ids or 0 for g in generators)
        if expectations.duplicate_rate > 0 and repeated == 0:
            # No event_id repeats: the copies were removed (deduplicated by event_id), so
            # their sequences are absent too.
            share += expectations.duplicate_rate / (1 + expectations.duplicate_rate)
        bound = allowance(expected, share)
        if share > 0 and missing <= bound:
            unexplained = 0
            notes.append(
                f"{missing:,} missing sequences are within the {bound:,} that the fault "
                f"settings explain for {expected:,} events (malformed events never reach "
                "a table; deduplicated copies leave their sequence out)"
            )
    if unexplained:
        broken = sum(1 for g in generators if g.missing)
        problems.append(f"{unexplained:,} events missing in {broken:,} generator(s)")
    told = expectations.expected_events
    if told is not None and told != expected:
        if told > expected:
            problems.append(
                f"{told - expected:,} events missing after the highest sequences seen "
                f"(expected {told:,} events in all, the sequences account for {expected:,})"
            )
        else:
            problems.append(
                f"sequences account for {expected:,} events, more than the {told:,} expected"
            )
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
    return Verdict(
        source=source,
        generators=tuple(generators),
        records=records,
        unattributed_malformed=unattributed_malformed,
        complete=not problems,
        problems=tuple(problems),
        notes=tuple(notes),
    )
