"""Counting records as they stream past: per generator_id sequence runs, unreadable records.

One :class:`Tally` serves every streaming source (files, objects, messages) and the Python
API; BigQuery counts inside BigQuery instead.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from eventgen.audit.ranges import SequenceRanges
from eventgen.audit.records import identity_of, parse_block, parse_payload
from eventgen.audit.verdict import Expectations, GeneratorVerdict, Verdict, judge

RANGES_SHOWN = 5  # missing/doubled ranges listed per generator (all are counted)


class Tally:
    """Everything an audit has read so far, in memory bounded by the gaps, not the events."""

    def __init__(self) -> None:
        self.generators: dict[str, SequenceRanges] = {}
        self.records = 0
        self.unattributed_malformed = 0
        self.malformed: dict[str, int] = {}

    def add(self, generator_id: str, sequence: int) -> None:
        """One record of ``generator_id`` carrying ``sequence``."""
        self.records += 1
        ranges = self.generators.get(generator_id)
        if ranges is None:
            ranges = self.generators[generator_id] = SequenceRanges()
        ranges.add(sequence)

    def add_malformed(self, generator_hint: str | None = None) -> None:
        """One record that is not a readable event (attributed if something names its generator)."""
        self.records += 1
        if generator_hint:
            self.malformed[generator_hint] = self.malformed.get(generator_hint, 0) + 1
        else:
            self.unattributed_malformed += 1

    def add_payload(self, payload: bytes | str, generator_hint: str | None = None) -> None:
        """One record as JSON text (a message body, a line without its newline)."""
        identity = parse_payload(payload)
        if identity is None:
            self.add_malformed(generator_hint)
        else:
            self.add(*identity)

    def add_event(self, event: Mapping[str, Any]) -> None:
        """One record already parsed into a mapping."""
        identity = identity_of(event)
        if identity is None:
            self.add_malformed(None)
        else:
            self.add(*identity)

    def add_block(self, block: bytes) -> None:
        """Whole JSONL lines (the last may lack its newline); blank lines are skipped."""
        matches, others = parse_block(block)
        self.records += len(matches)
        generators = self.generators
        last_id: bytes | None = None
        ranges = SequenceRanges()
        # The hot loop of a file audit: one dict lookup per change of generator, and the
        # in-order case handled inline (SequenceRanges.add's fast path, unrolled).
        for raw_id, raw_sequence in matches:
            if raw_id != last_id:
                last_id = raw_id
                name = raw_id.decode()
                found = generators.get(name)
                ranges = generators[name] = SequenceRanges() if found is None else found
            sequence = int(raw_sequence)
            if sequence == ranges.run_end and sequence < ranges.limit:
                ranges.run_end = sequence + 1
            else:
                ranges.add(sequence)
        for line in others:
            self.add_payload(line)

    def verdict(self, source: str, expectations: Expectations | None = None) -> Verdict:
        """Judge what was read (see :func:`eventgen.audit.verdict.judge`)."""
        per_generator = [
            summarize(name, ranges, self.malformed.get(name, 0))
            for name, ranges in self.generators.items()
        ]
        # Malformed records naming a generator none of whose events arrived still count.
        for name, count in self.malformed.items():
            if name not in self.generators:
                per_generator.append(GeneratorVerdict(name, 0, 0, 0, (), 0, malformed=count))
        return judge(
            source,
            per_generator,
            records=self.records,
            unattributed_malformed=self.unattributed_malformed,
            expectations=expectations or Expectations(),
            malformed_visible=True,
        )


def summarize(generator_id: str, ranges: SequenceRanges, malformed: int = 0) -> GeneratorVerdict:
    """One generator's counts from its runs: expected = highest sequence + 1."""
    runs = ranges.runs()
    expected = runs[-1][1] if runs else 0
    seen = sum(end - start for start, end in runs)
    gaps: list[tuple[int, int]] = []
    gap_count = 0
    previous_end = 0
    for start, end in runs:
        if start > previous_end:
            gap_count += 1
            if len(gaps) < RANGES_SHOWN:
                gaps.append((previous_end, start - 1))
        previous_end = end
    doubled_ranges = tuple((a, b - 1) for a, b in ranges.doubled_runs()[:RANGES_SHOWN])
    return GeneratorVerdict(
        generator_id=generator_id,
        expected=expected,
        seen=seen,
        missing=expected - seen,
        missing_ranges=tuple(gaps),
        missing_range_count=gap_count,
        doubled=ranges.doubled,
        doubled_ranges=doubled_ranges,
        malformed=malformed,
    )
