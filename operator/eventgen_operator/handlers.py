"""kopf handlers: thin triggers around `Supervisor`, which runs `Reconciler.reconcile`.

Three ways in, one reconcile:
- the EventGenerator is created, resumed at operator start, or its spec is edited;
- one of its children (Deployment, live ConfigMap, Job) changes or disappears, found by
  the `ecommerce.dataplatform.io/generator` label: hand edits are undone within seconds,
  and status follows the children (ready replicas, finished shards);
- the supervisor's own schedule: retries with backoff after a refusal, a resync of every
  generator once a minute (spread over the minute), and everyone after an API outage.
Handlers never raise: a refusal or an outage is said in the status and the log, and
retried by the supervisor, so kopf keeps no retry state in the objects' annotations.
Deletion needs no handler: the children carry ownerReferences, so the garbage collector
removes them, and the operator keeps no finalizer that could block a delete.
"""

from __future__ import annotations

import logging
from collections.abc import Iterator, Mapping
from typing import Any, cast

import kopf

from eventgen_operator.config import OperatorConfig
from eventgen_operator.crdcheck import CRD_PATH, ServedCrdCheck
from eventgen_operator.kubeapi import (
    GROUP,
    PLURAL,
    VERSION,
    HttpKubeApi,
    load_api_client,
)
from eventgen_operator.labels import GENERATOR_LABEL, MANAGED_BY, MANAGED_BY_LABEL
from eventgen_operator.outage_logs import OUTAGE_FILTER
from eventgen_operator.pod_failures import pod_failure
from eventgen_operator.reconciling import Reconciler
from eventgen_operator.supervising import PROBE_INTERVAL, Supervisor

OWNED = {MANAGED_BY_LABEL: MANAGED_BY}


def post_event(body: Mapping[str, Any], reason: str, message: str, warning: bool) -> None:
    """Post a Kubernetes Event on the EventGenerator (shown by `kubectl describe evgen`)."""
    kopf.event(
        cast(kopf.Body, body),
        type="Warning" if warning else "Normal",
        reason=reason,
        message=message[:1000],
    )


def endless_backoffs() -> Iterator[float]:
    """kopf's API retries: every PROBE_INTERVAL seconds, forever. A finite list escalates
    after about a minute of outage into a failed watcher with a traceback; a long delay
    would keep the watches down long after the server is back."""
    while True:
        yield PROBE_INTERVAL


class _EndlessBackoffs:
    """Re-iterable endless backoffs (kopf iterates the setting once per request)."""

    def __iter__(self) -> Iterator[float]:
        return endless_backoffs()


def configure_settings(settings: kopf.OperatorSettings) -> None:
    """kopf's bookkeeping under the project's API group; no handler-success event spam."""
    settings.persistence.finalizer = f"{GROUP}/finalizer"
    settings.persistence.progress_storage = kopf.AnnotationsProgressStorage(prefix=GROUP)
    settings.persistence.diffbase_storage = kopf.AnnotationsDiffBaseStorage(
        prefix=GROUP, key="last-handled-configuration"
    )
    # kopf's own "Handler succeeded" events would bury the operator's phase events.
    settings.posting.level = logging.WARNING
    # Reconciles are short blocking API calls; a few threads keep 50 generators moving.
    settings.execution.max_workers = 8
    # Reconnect watches well before intermediaries drop idle connections.
    settings.watching.server_timeout = 300
    settings.watching.client_timeout = 330
    settings.networking.error_backoffs = _EndlessBackoffs()


@kopf.on.startup()
def startup(settings: kopf.OperatorSettings, memo: kopf.Memo, **_: Any) -> None:
    """Apply settings, connect the reconciler to the API server, start the schedule."""
    configure_settings(settings)
    config = memo.get("config") or OperatorConfig.from_env()
    api = HttpKubeApi(load_api_client())
    # Says at start (log) and in every status (CRDCurrent=False) when the CRD lags behind.
    crd_check = ServedCrdCheck(lambda: api.get_path(CRD_PATH))
    crd_check.problem()
    reconciler = Reconciler(api, config, notify=post_event, amend_status=crd_check.amend)
    supervisor = Supervisor(reconciler, api)
    OUTAGE_FILTER.on_outage = supervisor.noticed_outage
    OUTAGE_FILTER.in_outage = supervisor.in_outage
    supervisor.start()
    memo["supervisor"] = supervisor


@kopf.on.cleanup()
def cleanup(memo: kopf.Memo, **_: Any) -> None:
    """Stop the schedule."""
    supervisor: Supervisor | None = memo.get("supervisor")
    if supervisor is not None:
        supervisor.stop()


@kopf.on.resume(GROUP, VERSION, PLURAL)
@kopf.on.create(GROUP, VERSION, PLURAL)
@kopf.on.update(GROUP, VERSION, PLURAL, field="spec")
def generator_changed(namespace: str | None, name: str, memo: kopf.Memo, **_: Any) -> None:
    """Create or update the children of a new, resumed or edited EventGenerator."""
    assert namespace, "EventGenerators are namespaced"
    memo["supervisor"].spec_changed(namespace, name)


@kopf.on.event(GROUP, VERSION, PLURAL)
def generator_event(type: str, namespace: str | None, name: str, memo: kopf.Memo, **_: Any) -> None:
    """An EventGenerator was deleted: drop its schedule (no finalizer needed for that)."""
    if type == "DELETED" and namespace:
        memo["supervisor"].forget(namespace, name)


def _child_changed(type: str, body: kopf.Body, memo: kopf.Memo) -> None:
    if not type:
        return  # the initial listing: the resume handlers already reconcile every generator
    owner_name = body.get("metadata", {}).get("labels", {}).get(GENERATOR_LABEL)
    namespace = body.get("metadata", {}).get("namespace")
    if owner_name and namespace:
        memo["supervisor"].child_changed(namespace, owner_name)


@kopf.on.event("apps", "v1", "deployments", labels=OWNED)
def deployment_event(type: str, body: kopf.Body, memo: kopf.Memo, **_: Any) -> None:
    """A generator Deployment changed or vanished: restore it, refresh status."""
    _child_changed(type, body, memo)


@kopf.on.event("batch", "v1", "jobs", labels=OWNED)
def job_event(type: str, body: kopf.Body, memo: kopf.Memo, **_: Any) -> None:
    """A batch Job progressed, changed or vanished: refresh status, restore it."""
    _child_changed(type, body, memo)


@kopf.on.event("v1", "pods", labels=OWNED)
def pod_event(type: str, body: kopf.Body, memo: kopf.Memo, **_: Any) -> None:
    """A generator pod fails (crash loop, failed shard, image pull): say why in the status.

    Only failing pods trigger: readiness and recovery reach the status through the
    Deployment's and Job's own events, and a healthy pod's heartbeat would only cost reads.
    """
    if pod_failure(body) is not None:
        _child_changed(type, body, memo)


@kopf.on.event("v1", "configmaps", labels=OWNED)
def configmap_event(type: str, body: kopf.Body, memo: kopf.Memo, **_: Any) -> None:
    """The live-rate ConfigMap changed or vanished: restore the operator's rate."""
    _child_changed(type, body, memo)
