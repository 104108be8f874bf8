"""kopf handlers: thin triggers around `Reconciler.reconcile`.

Three ways in, one reconcile:
- the EventGenerator is created, resumed at operator start, or its spec is edited;
- one of its children (Deployment, live ConfigMap, Job) changes or disappears, found by
  the `ecommerce.dataplatform.io/generator` label: hand edits are undone within seconds,
  and status follows the children (ready replicas, finished shards);
- a slow timer, the safety net for a failed restore (event handlers are not retried).
Deletion needs no handler: the children carry ownerReferences, so the garbage collector
removes them, and the operator keeps no finalizer that could block a delete.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from typing import Any, cast

import kopf

from eventgen_operator.children import GENERATOR_LABEL, MANAGED_BY, MANAGED_BY_LABEL
from eventgen_operator.config import OperatorConfig
from eventgen_operator.crdcheck import CRD_PATH, ServedCrdCheck
from eventgen_operator.errors import InvalidSpecError, KubeApiError
from eventgen_operator.kubeapi import (
    GROUP,
    PLURAL,
    VERSION,
    KubeApi,
    load_api_client,
)
from eventgen_operator.reconciling import ChildBusyError, Reconciler

# Seconds before kopf retries a reconcile that hit a transient API problem.
RETRY_DELAY = 5.0
# Seconds between safety-net reconciles of every EventGenerator.
RESYNC_INTERVAL = 60.0

OWNED = {MANAGED_BY_LABEL: MANAGED_BY}


def post_event(body: Mapping[str, Any], reason: str, message: str, warning: bool) -> None:
    """Post a Kubernetes Event on the EventGenerator (shown by `kubectl describe evgen`)."""
    kopf.event(
        cast(kopf.Body, body),
        type="Warning" if warning else "Normal",
        reason=reason,
        message=message[:1000],
    )


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


@kopf.on.startup()
def startup(settings: kopf.OperatorSettings, memo: kopf.Memo, **_: Any) -> None:
    """Apply settings and connect the reconciler to the API server."""
    configure_settings(settings)
    config = memo.get("config") or OperatorConfig.from_env()
    api = KubeApi(load_api_client())
    # Says at start (log) and in every status (CRDCurrent=False) when the CRD lags behind.
    crd_check = ServedCrdCheck(lambda: api.get_path(CRD_PATH))
    crd_check.problem()
    memo["reconciler"] = Reconciler(api, config, notify=post_event, amend_status=crd_check.amend)


def _reconcile(namespace: str | None, name: str, memo: kopf.Memo) -> None:
    reconciler: Reconciler = memo["reconciler"]
    assert namespace, "EventGenerators are namespaced"
    try:
        outcome = reconciler.reconcile(namespace, name)
    except InvalidSpecError as error:
        # Reported as the InvalidSpec condition; only a spec edit can fix it.
        raise kopf.PermanentError(str(error)) from error
    except (ChildBusyError, KubeApiError) as error:
        raise kopf.TemporaryError(str(error), delay=RETRY_DELAY) from error
    if outcome is not None and outcome.changed_children:
        logging.getLogger(__name__).info("applied %s", ", ".join(outcome.changed_children))


@kopf.on.resume(GROUP, VERSION, PLURAL)
@kopf.on.create(GROUP, VERSION, PLURAL)
@kopf.on.update(GROUP, VERSION, PLURAL, field="spec")
def generator_changed(namespace: str | None, name: str, memo: kopf.Memo, **_: Any) -> None:
    """Create or update the children of a new, resumed or edited EventGenerator."""
    _reconcile(namespace, name, memo)


@kopf.timer(GROUP, VERSION, PLURAL, interval=RESYNC_INTERVAL, initial_delay=RESYNC_INTERVAL)
def resync(
    namespace: str | None, name: str, memo: kopf.Memo, logger: kopf.Logger, **_: Any
) -> None:
    """Safety net: reconcile every generator now and then (invalid specs stay quiet)."""
    try:
        memo["reconciler"].reconcile(namespace or "", name)
    except InvalidSpecError:
        pass
    except (ChildBusyError, KubeApiError) as error:
        logger.warning("resync failed: %s", error)


def _child_changed(type: str, body: kopf.Body, memo: kopf.Memo, logger: kopf.Logger) -> None:
    if not type:
        return  # the initial listing: the resume handlers already reconcile every generator
    owner_name = body.get("metadata", {}).get("labels", {}).get(GENERATOR_LABEL)
    namespace = body.get("metadata", {}).get("namespace")
    if not owner_name or not namespace:
        return
    try:
        outcome = memo["reconciler"].reconcile(namespace, owner_name)
    except InvalidSpecError:
        return  # reported on the EventGenerator already
    except (ChildBusyError, KubeApiError) as error:
        logger.warning("restoring children of %s/%s failed: %s", namespace, owner_name, error)
        return
    if outcome is not None and outcome.changed_children:
        logger.info(
            "restored %s of %s/%s", ", ".join(outcome.changed_children), namespace, owner_name
        )


@kopf.on.event("apps", "v1", "deployments", labels=OWNED)
def deployment_event(
    type: str, body: kopf.Body, memo: kopf.Memo, logger: kopf.Logger, **_: Any
) -> None:
    """A generator Deployment changed or vanished: restore it, refresh status."""
    _child_changed(type, body, memo, logger)


@kopf.on.event("batch", "v1", "jobs", labels=OWNED)
def job_event(type: str, body: kopf.Body, memo: kopf.Memo, logger: kopf.Logger, **_: Any) -> None:
    """A batch Job progressed, changed or vanished: refresh status, restore it."""
    _child_changed(type, body, memo, logger)


@kopf.on.event("v1", "configmaps", labels=OWNED)
def configmap_event(
    type: str, body: kopf.Body, memo: kopf.Memo, logger: kopf.Logger, **_: Any
) -> None:
    """The live-rate ConfigMap changed or vanished: restore the operator's rate."""
    _child_changed(type, body, memo, logger)
