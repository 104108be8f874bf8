"""Every reconcile goes through here: who triggered it, what to log, when to try again.

kopf calls in when an EventGenerator is created, resumed or edited and when a child
changes; the `Scheduler` calls in for retries and resyncs. The outcome decides the next
run: a resync at the generator's own second of the interval, a retry with a growing delay
after a refusal (reset by a spec edit), or nothing while the API server is away, when one
probe a second stands in for every generator and all are reconciled once it answers.

Logging is one line per thing a reader wants to know: what was applied or restored, each
refusal once per backoff step, one line when the API server goes away and one when it is
back, however many generators wait.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable, Hashable
from dataclasses import dataclass

from eventgen_operator.errors import ChildRejectedError, InvalidSpecError, KubeApiError
from eventgen_operator.kubeapi import EVENTGENERATORS, KubeApi
from eventgen_operator.reconciling import ChildBusyError, Outcome, Reconciler
from eventgen_operator.scheduling import Backoff, Scheduler, resync_delay
from eventgen_operator.status import readable

log = logging.getLogger("eventgen_operator")

Key = tuple[str, str]
PROBE = "api-server-probe"
# Seconds between safety-net reconciles of every EventGenerator.
RESYNC_INTERVAL = 60.0
# Seconds between probes while the API server does not answer: the bound on how long
# after its return the operator notices.
PROBE_INTERVAL = 1.0


def unreachable(error: KubeApiError) -> bool:
    """No answer, or an answer that says "not now" (5xx, 429): the server, not the object."""
    return error.status == 0 or error.status == 429 or error.status >= 500


@dataclass
class _Outage:
    since: float
    cause: str


class Supervisor:
    """Runs reconciles for kopf's triggers and its own schedule (see the module doc)."""

    def __init__(
        self,
        reconciler: Reconciler,
        api: KubeApi,
        *,
        resync_interval: float = RESYNC_INTERVAL,
        backoff: Backoff | None = None,
        probe_interval: float = PROBE_INTERVAL,
        clock: Callable[[], float] = time.monotonic,
        workers: int = 4,
    ) -> None:
        self._reconciler = reconciler
        self._api = api  # the reconciler's API, probed while the server is away
        self._resync_interval = resync_interval
        self._backoff = backoff or Backoff()
        self._probe_interval = probe_interval
        self._clock = clock
        self._attempts: dict[Key, int] = {}
        self._known: set[Key] = set()
        self._outage: _Outage | None = None
        self._lock = threading.Lock()
        self._scheduler = Scheduler(self._scheduled, workers=workers, clock=clock)

    @property
    def scheduler(self) -> Scheduler:
        """The schedule (tests look at what is due)."""
        return self._scheduler

    def start(self) -> None:
        """Start the schedule's thread."""
        self._scheduler.start()

    def stop(self) -> None:
        """Stop running scheduled reconciles."""
        self._scheduler.stop()

    def retry_state(self) -> dict[Key, int]:
        """Generators with a pending retry, and how many retries they had."""
        with self._lock:
            return dict(self._attempts)

    # -- triggers -----------------------------------------------------------------------

    def spec_changed(self, namespace: str, name: str) -> Outcome | None:
        """Created, resumed or edited: a fresh start, whatever the earlier backoff.

        Never raises: refusals and outages are reported in the status and the log, and
        retried on the operator's own schedule.
        """
        key = (namespace, name)
        with self._lock:
            self._attempts.pop(key, None)
        return self._attempt(key, "applied")

    def child_changed(self, namespace: str, name: str) -> Outcome | None:
        """A child changed or vanished: restore it now."""
        return self._attempt((namespace, name), "restored")

    def forget(self, namespace: str, name: str) -> None:
        """The EventGenerator is gone: drop its schedule and retry state."""
        key = (namespace, name)
        self._scheduler.cancel(key)
        with self._lock:
            self._attempts.pop(key, None)
            self._known.discard(key)

    def in_outage(self) -> bool:
        """Whether the API server is known to be away (until a probe gets an answer)."""
        return self._outage is not None

    def noticed_outage(self, cause: str) -> None:
        """Someone else (kopf's watches) found the API server unreachable."""
        self._lost(cause)

    # -- the schedule -------------------------------------------------------------------

    def _scheduled(self, key: Hashable) -> float | None:
        if key == PROBE:
            return self._probe()
        assert isinstance(key, tuple)
        if self._outage is not None:
            return None  # everyone is reconciled when the server is back
        self._attempt(key, "restored")
        return None  # _attempt scheduled the next run itself

    def _probe(self) -> float | None:
        # A request the operator's RBAC decides, when there is one to make: a restarting
        # server answers /version before its RBAC caches are ready, and 403 until then.
        with self._lock:
            known = min(self._known) if self._known else None
        try:
            if known is None:
                self._api.ping()
            else:
                self._api.get(EVENTGENERATORS, *known)
        except KubeApiError:
            return self._probe_interval
        self._recovered()
        return None

    def _attempt(self, key: Key, verb: str) -> Outcome | None:
        namespace, name = key
        with self._lock:
            self._known.add(key)
        try:
            outcome = self._reconciler.reconcile(namespace, name)
        except InvalidSpecError as error:
            self._recovered()
            if verb == "applied":  # once per edit; resyncs and child events stay quiet
                log.warning("%s/%s: invalid spec: %s", namespace, name, readable(str(error)))
            self._settle(key)  # said in the status; only an edit can help
            return None
        except ChildRejectedError as error:
            self._recovered()
            self._retry(key, readable(str(error)))
            return None
        except ChildBusyError as error:
            self._recovered()
            self._retry(key, str(error))
            return None
        except KubeApiError as error:
            if unreachable(error):
                self._lost(error.message)
            else:
                self._recovered()
                self._retry(key, readable(str(error)))
            return None
        self._recovered()
        if outcome is None:
            self.forget(namespace, name)
            return None
        if outcome.changed_children:
            log.info("%s %s of %s/%s", verb, ", ".join(outcome.changed_children), namespace, name)
        self._settle(key, outcome.replan_in)
        return outcome

    def _settle(self, key: Key, sooner: float | None = None) -> None:
        """Schedule the next resync; a shaped stream's re-plan (`sooner` s) may come first."""
        with self._lock:
            self._attempts.pop(key, None)
        self._scheduler.cancel(key)
        delay = resync_delay(f"{key[0]}/{key[1]}", self._resync_interval, self._clock())
        self._scheduler.at(key, delay if sooner is None else min(delay, sooner))

    def _retry(self, key: Key, what: str) -> None:
        with self._lock:
            attempt = self._attempts.get(key, 0)
            self._attempts[key] = attempt + 1
        delay = self._backoff.delay(attempt)
        log.warning("%s/%s: %s; retrying in %g s", key[0], key[1], what, delay)
        self._scheduler.cancel(key)
        self._scheduler.at(key, delay)

    def _lost(self, cause: str) -> None:
        with self._lock:
            if self._outage is not None:
                return
            self._outage = _Outage(since=self._clock(), cause=cause)
        log.warning(
            "Kubernetes API unreachable (%s); probing every %g s, quiet until it answers",
            readable(cause, 160),
            self._probe_interval,
        )
        self._scheduler.at(PROBE, self._probe_interval)

    def _recovered(self) -> None:
        with self._lock:
            outage, self._outage = self._outage, None
            known = sorted(self._known)
        if outage is None:
            return
        self._scheduler.cancel(PROBE)
        log.info(
            "Kubernetes API reachable again after %.0f s; reconciling %d generator(s)",
            self._clock() - outage.since,
            len(known),
        )
        for key in known:  # watch events were missed meanwhile: look at everyone once
            self._scheduler.at(key, 0)
