"""Is the served EventGenerator CRD the one this operator was built for?

Helm upgrades the CRD with the chart (``crds.enabled``), but a CRD managed by hand, or a chart
installed with ``crds.enabled=false``, can lag behind the operator. The API server then prunes
every spec field the stored CRD does not know: the user's EventGenerator is accepted and runs
as if the field were absent. Nothing else would say so, so the operator compares the CRD's
``ecommerce.dataplatform.io/schema-revision`` annotation (a hash of its versions' schemas,
written in crds/eventgenerators.yaml; tests/chart/test_drift.py keeps the three in step) with
the revision it was built for, logs the difference at start, and adds a ``CRDCurrent=False``
condition to every EventGenerator's status while it lasts.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable, Mapping
from typing import Any

from eventgen_operator.errors import KubeApiError

# The schema revision of crds/eventgenerators.yaml this operator was built for.
SCHEMA_REVISION = "ade79862262b0bbf"
REVISION_ANNOTATION = "ecommerce.dataplatform.io/schema-revision"
CRD_NAME = "eventgenerators.ecommerce.dataplatform.io"
CRD_PATH = f"/apis/apiextensions.k8s.io/v1/customresourcedefinitions/{CRD_NAME}"
CONDITION_TYPE = "CRDCurrent"
CONDITION_REASON = "CRDOutdated"
# Seconds a check result is trusted: a CRD upgraded while the operator runs is noticed
# within this, without a watch on CRDs.
RECHECK_SECONDS = 60.0

UPGRADE_HINT = (
    "fields it does not know are dropped from EventGenerators; upgrade the CRD "
    "(helm upgrade with crds.enabled=true, or kubectl apply --validate=false "
    "-f crds/eventgenerators.yaml from this operator's version)"
)

log = logging.getLogger(__name__)


def crd_problem(crd: Mapping[str, Any] | None, expected: str = SCHEMA_REVISION) -> str | None:
    """What is wrong with the served CRD, in one sentence, or None when it is the expected one."""
    if crd is None:
        return f"the CustomResourceDefinition {CRD_NAME} is not installed"
    annotations = (crd.get("metadata") or {}).get("annotations") or {}
    served = annotations.get(REVISION_ANNOTATION)
    if served == expected:
        return None
    found = (
        f"schema revision {served}"
        if served
        else "no schema revision (installed by an older chart or by hand)"
    )
    return (
        f"the served EventGenerator CRD has {found}, this operator was built for "
        f"{expected}: {UPGRADE_HINT}"
    )


def outdated_condition(problem: str, previous: Mapping[str, Any], now: str) -> dict[str, str]:
    """The CRDCurrent=False condition, keeping its transition time from ``previous`` status."""
    since = now
    for item in previous.get("conditions") or []:
        if item.get("type") == CONDITION_TYPE and item.get("status") == "False":
            since = str(item.get("lastTransitionTime") or now)
    return {
        "type": CONDITION_TYPE,
        "status": "False",
        "reason": CONDITION_REASON,
        "message": problem,
        "lastTransitionTime": since,
    }


class ServedCrdCheck:
    """The cached answer of `crd_problem` for the served CRD, refreshed every RECHECK_SECONDS.

    ``read`` returns the CRD (None when absent) or raises KubeApiError; a failed read keeps
    the last answer (an unreadable CRD is logged, never reported as outdated).
    """

    def __init__(
        self,
        read: Callable[[], Mapping[str, Any] | None],
        expected: str = SCHEMA_REVISION,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self._read = read
        self._expected = expected
        self._clock = clock
        self._lock = threading.Lock()
        self._checked_at: float | None = None
        self._problem: str | None = None

    def problem(self) -> str | None:
        """The current problem (None when the served CRD is the expected one)."""
        with self._lock:
            now = self._clock()
            if self._checked_at is None or now - self._checked_at >= RECHECK_SECONDS:
                self._checked_at = now
                self._refresh()
            return self._problem

    def _refresh(self) -> None:
        try:
            problem = crd_problem(self._read(), self._expected)
        except KubeApiError as error:
            log.warning(
                "could not read the CRD %s to check its schema revision: %s", CRD_NAME, error
            )
            return
        if problem != self._problem:
            if problem:
                log.warning("%s", problem)
            elif self._problem:
                log.info("the served EventGenerator CRD is now revision %s", self._expected)
        self._problem = problem

    def amend(
        self, wanted: dict[str, Any], previous: Mapping[str, Any], now: str
    ) -> dict[str, Any]:
        """``wanted`` status plus the CRDCurrent=False condition while the CRD is outdated."""
        problem = self.problem()
        if not problem or "conditions" not in wanted:
            return wanted
        conditions = [c for c in wanted["conditions"] if c.get("type") != CONDITION_TYPE]
        conditions.append(outdated_condition(problem, previous, now))
        return {**wanted, "conditions": conditions}
