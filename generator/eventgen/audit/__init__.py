"""Proving that events arrived: every sequence of every generator_id, exactly once.

``eventgen audit`` reads events from files, Cloud Storage, a Pub/Sub subscription or a
BigQuery table and answers per generator_id: expected (highest sequence + 1), seen, missing
(with the first ranges) and doubled. From Python (the end-to-end suites)::

    from eventgen.audit import audit
    verdict = audit(message.data for message in received)
    assert verdict.complete, report.text(verdict)

Modules: ``ranges`` (compact sequence runs), ``records`` (reading identities), ``tally``
(counting), ``verdict`` (judging), ``report`` (text/JSON), one per source (``files``,
``storage``, ``subscription``, ``bigquery``) and ``command`` (the CLI).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from eventgen.audit.tally import Tally
from eventgen.audit.verdict import Expectations, GeneratorVerdict, Verdict


def audit(
    records: Iterable[bytes | str | Mapping[str, Any]],
    *,
    allow_duplicates: bool = False,
    duplicate_rate: float = 0.0,
    malformed_rate: float = 0.0,
    expected_events: int | None = None,
    source: str = "records",
) -> Verdict:
    """The verdict over ``records``: JSON payloads (bytes or str, one event each, e.g. Pub/Sub
    message bodies) or already-parsed event mappings. The keyword arguments are the
    ``eventgen audit`` flags of the same names."""
    tally = Tally()
    for record in records:
        if isinstance(record, Mapping):
            tally.add_event(record)
        else:
            tally.add_payload(record)
    expectations = Expectations(allow_duplicates, duplicate_rate, malformed_rate, expected_events)
    return tally.verdict(source, expectations)


__all__ = ["Expectations", "GeneratorVerdict", "Tally", "Verdict", "audit"]
