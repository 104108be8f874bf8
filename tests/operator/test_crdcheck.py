"""The operator's check of the served CRD's schema revision, as plain data."""

from __future__ import annotations

from typing import Any

from eventgen_operator.crdcheck import (
    CONDITION_TYPE,
    RECHECK_SECONDS,
    REVISION_ANNOTATION,
    SCHEMA_REVISION,
    ServedCrdCheck,
    crd_problem,
)
from eventgen_operator.errors import KubeApiError


def _crd(revision: str | None) -> dict[str, Any]:
    annotations = {REVISION_ANNOTATION: revision} if revision else {}
    return {
        "metadata": {
            "name": "eventgenerators.ecommerce.dataplatform.io",
            "annotations": annotations,
        }
    }


def test_the_expected_revision_is_no_problem() -> None:
    assert crd_problem(_crd(SCHEMA_REVISION)) is None


def test_a_crd_without_revision_or_with_another_is_named() -> None:
    assert "no schema revision" in (crd_problem(_crd(None)) or "")
    other = crd_problem(_crd("0000000000000000")) or ""
    assert "schema revision 0000000000000000" in other and SCHEMA_REVISION in other
    assert "not installed" in (crd_problem(None) or "")


def test_amend_adds_the_condition_keeps_its_time_and_drops_it_once_fixed() -> None:
    served = {"crd": _crd(None)}
    now = [0.0]
    check = ServedCrdCheck(lambda: served["crd"], clock=lambda: now[0])
    wanted = {"phase": "Running", "conditions": [{"type": "Ready", "status": "True"}]}
    first = check.amend(wanted, {}, "2026-01-01T00:00:00Z")
    [condition] = [c for c in first["conditions"] if c["type"] == CONDITION_TYPE]
    assert condition["reason"] == "CRDOutdated"
    later = check.amend(wanted, first, "2026-01-01T00:05:00Z")
    assert later == first  # same transition time: no status write
    served["crd"] = _crd(SCHEMA_REVISION)
    assert check.amend(wanted, first, "x") != wanted  # cached until the recheck interval
    now[0] = RECHECK_SECONDS
    assert check.amend(wanted, first, "x") == wanted


def test_an_unreadable_crd_is_not_reported_as_outdated() -> None:
    def refuse() -> dict[str, Any]:
        raise KubeApiError(403, "Forbidden", "no")

    assert ServedCrdCheck(refuse).problem() is None
