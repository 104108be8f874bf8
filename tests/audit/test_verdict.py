"""Judging: what counts as complete, and how the fault settings and flags change that."""

from __future__ import annotations

import pytest

from eventgen.audit import audit
from eventgen.audit.verdict import Expectations, GeneratorVerdict, allowance, judge
from tests.audit.events import generated


def gv(
    name: str,
    expected: int,
    missing: int = 0,
    *,
    doubled: int = 0,
    malformed: int = 0,
    repeated_event_ids: int | None = None,
) -> GeneratorVerdict:
    return GeneratorVerdict(
        name,
        expected,
        expected - missing,
        missing,
        (),
        int(bool(missing)),
        doubled=doubled,
        malformed=malformed,
        repeated_event_ids=repeated_event_ids,
    )


def judged(
    generators: list[GeneratorVerdict],
    *,
    unattributed: int = 0,
    visible: bool = True,
    **told: object,
) -> tuple[bool, tuple[str, ...]]:
    verdict = judge(
        "t",
        generators,
        records=0,
        unattributed_malformed=unattributed,
        expectations=Expectations(**told),  # type: ignore[arg-type]
        malformed_visible=visible,
    )
    return verdict.complete, verdict.problems


@pytest.mark.parametrize(
    ("generators", "unattributed", "visible", "told", "complete"),
    [
        ([gv("a", 10)], 0, True, {}, True),
        ([gv("a", 10, missing=1)], 0, True, {}, False),
        ([gv("a", 10, doubled=1)], 0, True, {}, False),
        ([gv("a", 10, doubled=1)], 0, True, {"allow_duplicates": True}, True),
        # A malformed record without a generator: not an event, unless malformed were injected.
        ([gv("a", 10, missing=1)], 1, True, {}, False),
        ([gv("a", 10, missing=1)], 1, True, {"malformed_rate": 0.1}, True),
        # One unattributed malformed record explains one gap, not two.
        ([gv("a", 10, missing=1), gv("b", 10, missing=1)], 1, True, {"malformed_rate": 0.1}, False),
        # An attributed malformed record explains a gap of its own generator only.
        (
            [gv("a", 10, missing=1), gv("b", 10, malformed=1)],
            0,
            True,
            {"malformed_rate": 0.1},
            False,
        ),
        ([gv("a", 10, missing=1, malformed=1)], 0, True, {"malformed_rate": 0.1}, True),
        # Injected duplicates repeat event_ids (BigQuery counts them): expected only when told.
        ([gv("a", 10, repeated_event_ids=2)], 0, False, {}, False),
        ([gv("a", 10, repeated_event_ids=2)], 0, False, {"duplicate_rate": 0.2}, True),
        # A table never sees malformed events: gaps within the statistical bound are explained.
        ([gv("a", 10_000, missing=100)], 0, False, {"malformed_rate": 0.01}, True),
        ([gv("a", 10_000, missing=200)], 0, False, {"malformed_rate": 0.01}, False),
        ([gv("a", 10_000, missing=100)], 0, False, {}, False),
        # Deduplicated by event_id (no repeats left): the copies' sequences are absent.
        (
            [gv("a", 12_000, missing=2_000, repeated_event_ids=0)],
            0,
            False,
            {"duplicate_rate": 0.2},
            True,
        ),
        (
            [gv("a", 12_000, missing=2_000, repeated_event_ids=5)],
            0,
            False,
            {"duplicate_rate": 0.2},
            False,
        ),
        # The tail: only --expected-events sees it.
        ([gv("a", 10)], 0, True, {"expected_events": 10}, True),
        ([gv("a", 10)], 0, True, {"expected_events": 12}, False),
        ([gv("a", 10)], 0, True, {"expected_events": 8}, False),
        ([], 0, True, {}, False),
    ],
)
def test_verdict_table(
    generators: list[GeneratorVerdict],
    unattributed: int,
    visible: bool,
    told: dict[str, object],
    complete: bool,
) -> None:
    got, problems = judged(generators, unattributed=unattributed, visible=visible, **told)
    assert got is complete, problems
    assert bool(problems) is not complete


def test_the_allowance_is_the_mean_plus_five_sigmas() -> None:
    assert allowance(10_000, 0.01) == 150  # 100 + 5 * sqrt(99)
    assert allowance(10_000, 0.0) == 0
    assert allowance(0, 0.5) == 0


def test_the_python_api_takes_payloads_str_and_dicts() -> None:
    payloads = generated(1000, "api-0")
    import orjson

    mixed = [
        *payloads[:300],
        *(p.decode() for p in payloads[300:600]),
        *(orjson.loads(p) for p in payloads[600:]),
    ]
    verdict = audit(mixed)
    assert verdict.complete and verdict.exit_code == 0
    assert (verdict.expected, verdict.seen, verdict.records) == (1000, 1000, 1000)


def test_the_python_api_finds_a_dropped_range_and_a_redelivered_one() -> None:
    payloads = generated(1000, "api-0")
    verdict = audit([*payloads[:100], *payloads[150:], *payloads[500:510]])
    assert verdict.exit_code == 1
    (g,) = verdict.generators
    assert (g.missing, g.missing_ranges, g.doubled, g.doubled_ranges) == (
        50,
        ((100, 149),),
        10,
        ((500, 509),),
    )


def test_injected_faults_pass_only_when_the_audit_is_told() -> None:
    payloads = generated(20_000, "faulty-0", duplicate_rate=0.02, malformed_rate=0.01)
    assert not audit(payloads).complete
    told = audit(payloads, duplicate_rate=0.02, malformed_rate=0.01)
    assert told.complete, told.problems
    assert told.malformed > 0 and told.notes


@pytest.mark.parametrize(
    "record",
    [
        b'{"generator_id":"g","sequence":-1}',
        b'{"generator_id":"g","sequence":true}',
        b'{"generator_id":"g","sequence":1.5}',
        b'{"generator_id":"g","sequence":"12a"}',
        b'{"generator_id":"g","sequence":4611686018427387904}',
        b'{"generator_id":"","sequence":1}',
        b'{"generator_id":7,"sequence":1}',
        b'{"sequence":1}',
        b"[1, 2]",
        b"not json",
        b'{"generator_id":"g","sequence":3',
    ],
)
def test_a_record_without_a_usable_identity_is_malformed_not_a_crash(record: bytes) -> None:
    verdict = audit([record])
    assert (verdict.malformed, verdict.generators, verdict.complete) == (1, (), False)
