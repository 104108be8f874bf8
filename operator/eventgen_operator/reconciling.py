"""Make the children on the server match what the spec asks, then report status.

One entry point, `Reconciler.reconcile(namespace, name)`, serves every trigger: a created,
resumed or edited EventGenerator, and a child that was edited or deleted by hand. Each call
reads the EventGenerator and its children, sizes a stream once (eventgen_operator.sizing)
for the children and the status alike, creates missing children, patches drifted ones (only
when they differ, so an unchanged generator costs reads only) and writes the status when it
changed. Calls for the same EventGenerator are serialized by a lock, because kopf runs the
generator's own handlers and its children's handlers concurrently; the lock registry
(eventgen_operator.keyed_locks) keeps only the locks in use, so it needs no clean-up on
deletion.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from eventgen.contract import LIVE_SHAPE_KEY
from eventgen_operator.children import (
    Owner,
    build_deployment,
    build_job,
    build_live_configmap,
)
from eventgen_operator.comparing import covers
from eventgen_operator.config import OperatorConfig
from eventgen_operator.errors import (
    ChildRejectedError,
    InvalidSpecError,
    KubeApiError,
    OperatorError,
)
from eventgen_operator.keyed_locks import KeyedLocks
from eventgen_operator.kubeapi import (
    CONFIGMAPS,
    DEPLOYMENTS,
    EVENTGENERATORS,
    JOBS,
    PODS,
    Kind,
    KubeApi,
)
from eventgen_operator.labels import GENERATOR_LABEL, SPEC_HASH_ANNOTATION
from eventgen_operator.pod_failures import generator_failure
from eventgen_operator.shaping import ShapedPlan, plan_shaped
from eventgen_operator.sizing import StreamingShape, flat_shape
from eventgen_operator.spec import GeneratorSpec, parse_spec
from eventgen_operator.status import (
    Status,
    compute_status,
    invalid_status,
    readable,
    rejected_status,
    status_patch,
    timestamp,
)

log = logging.getLogger(__name__)

# What a phase change event says when the Ready condition's message would say less.
PHASE_MESSAGES = {
    "Paused": "rate is 0, scaling to 0 replicas",
    "Suspended": "suspended, generation stopped",
}

# What the API server answers when it will not take an object as it is: bad request,
# forbidden (RBAC, quota, admission), unprocessable (validation).
REFUSALS = frozenset({400, 403, 422})

# notify(body, reason, message, warning): posts a Kubernetes Event about the EventGenerator.
Notifier = Callable[[Mapping[str, Any], str, str, bool], None]
# (wanted status, previous status, now as RFC 3339) -> the status to write.
StatusAmender = Callable[[Status, Mapping[str, Any], str], Status]


class ChildBusyError(OperatorError):
    """A child's name is taken by an object this EventGenerator does not own (often the
    previous object of the same name, still being garbage-collected); retry later."""


@dataclass(frozen=True)
class Outcome:
    """What one reconcile did: the status it computed and whether it changed anything."""

    status: Status
    changed_children: tuple[str, ...]
    replan_in: float | None = None
    """Seconds until a shaped stream needs planning again (None: no shape)."""


@dataclass
class _Pass:
    """One reconcile of one EventGenerator: what it read, where its events go, and which
    children it has changed so far."""

    body: Mapping[str, Any]
    owner: Owner
    generation: int
    previous: Mapping[str, Any]
    post: Notifier
    changed: list[str] = field(default_factory=list)

    @classmethod
    def of(cls, body: Mapping[str, Any], post: Notifier) -> _Pass:
        metadata = body["metadata"]
        owner = Owner(
            name=str(metadata["name"]),
            namespace=str(metadata["namespace"]),
            uid=str(metadata["uid"]),
        )
        generation = int(metadata.get("generation") or 0)
        return cls(body, owner, generation, body.get("status") or {}, post)


def _owned_by(child: Mapping[str, Any], owner: Owner) -> bool:
    references = (child.get("metadata") or {}).get("ownerReferences") or []
    return any(reference.get("uid") == owner.uid for reference in references)


def _identity(manifest: Mapping[str, Any]) -> str:
    return f"{manifest['kind']} {manifest['metadata']['name']}"


def _created(metadata: Mapping[str, Any], now: datetime) -> datetime:
    """The EventGenerator's creation time (the anchor of stages without a start)."""
    text = metadata.get("creationTimestamp")
    if not text:
        return now
    return datetime.fromisoformat(str(text).replace("Z", "+00:00"))


class Reconciler:
    """Applies the desired children of EventGenerators and writes their status."""

    def __init__(
        self,
        api: KubeApi,
        config: OperatorConfig,
        notify: Notifier | None = None,
        clock: Callable[[], datetime] = lambda: datetime.now(UTC),
        amend_status: StatusAmender | None = None,
    ) -> None:
        self._api = api
        # Adds conditions computed outside the children (the served CRD's revision).
        self._amend_status = amend_status
        self._config = config
        self._notify = notify or (lambda body, reason, message, warning: None)
        self._clock = clock
        self._locks = KeyedLocks()

    def reconcile(
        self, namespace: str, name: str, notify: Notifier | None = None
    ) -> Outcome | None:
        """Bring one EventGenerator's children and status in line with its spec.

        Reads the EventGenerator afresh under its lock (so concurrent triggers never act
        on a stale spec or status); returns None when it is gone or being deleted. Events
        go to `notify` (default: the reconciler's own). Raises InvalidSpecError (after
        writing an Invalid status) when the spec breaks a rule, ChildRejectedError (after
        writing a Rejected status) when the API server refuses a child, ChildBusyError when
        a child's name is held by a foreign object, and KubeApiError on other API failures.
        """
        with self._locks.holding((namespace, name)):
            body = self._api.get(EVENTGENERATORS, namespace, name)
            if body is not None and not body["metadata"].get("deletionTimestamp"):
                return self._reconcile_locked(body, notify or self._notify)
        return None

    def _reconcile_locked(self, body: Mapping[str, Any], post: Notifier) -> Outcome:
        run = _Pass.of(body, post)
        try:
            spec = parse_spec(body.get("spec"), run.owner.name)
            self._check_mode_unchanged(spec, run.owner)
        except InvalidSpecError as error:
            wanted = invalid_status(error.problems, run.generation, run.previous, self._clock())
            self._write_status(run, wanted)
            if run.previous.get("phase") != "Invalid":
                post(body, "InvalidSpec", str(error), True)
            raise
        plan, shape = self._size(spec, body["metadata"])
        try:
            deployment, job = self._apply_children(run, spec, shape, plan)
        except ChildRejectedError as error:
            self._report_rejection(run, error)
            raise
        failing = self._pods_failing(run.owner) if deployment or job else None
        wanted = compute_status(
            spec,
            run.generation,
            deployment,
            job,
            run.previous,
            self._clock(),
            failing=failing,
            plan=plan,
            shape=shape,
        )
        self._write_status(run, wanted)
        if run.previous.get("phase") != wanted.get("phase"):
            self._announce(body, wanted, post)
        return Outcome(
            status=wanted,
            changed_children=tuple(run.changed),
            replan_in=plan.replan_in if plan else None,
        )

    def _size(
        self, spec: GeneratorSpec, metadata: Mapping[str, Any]
    ) -> tuple[ShapedPlan | None, StreamingShape | None]:
        """A stream's shape, computed once per reconcile for the builders and the status
        alike (None for a batch), and a shaped stream's plan at this moment."""
        if spec.mode != "streaming":
            return None, None
        if spec.shape is None:
            return None, flat_shape(spec)
        plan = plan_shaped(spec, _created(metadata, self._clock()), self._clock())
        return plan, plan.streaming

    def _pods_failing(self, owner: Owner) -> str | None:
        pods = self._api.list(PODS, owner.namespace, f"{GENERATOR_LABEL}={owner.name}")
        return generator_failure(pods)

    def _report_rejection(self, run: _Pass, error: ChildRejectedError) -> None:
        previous = run.previous
        wanted = rejected_status(
            error.child, error.message, run.generation, previous, self._clock()
        )
        said_before = {c.get("type"): c.get("message") for c in previous.get("conditions") or []}
        said_now = {c["type"]: c.get("message") for c in wanted["conditions"]}
        self._write_status(run, wanted)
        # One event per distinct refusal, not one per retry.
        if previous.get("phase") != "Rejected" or said_before.get("Ready") != said_now["Ready"]:
            run.post(run.body, "ChildRejected", readable(str(error)), True)

    def _apply_children(
        self,
        run: _Pass,
        spec: GeneratorSpec,
        shape: StreamingShape | None,
        plan: ShapedPlan | None,
    ) -> tuple[dict[str, Any] | None, dict[str, Any] | None]:
        """Create or patch the children; returns (deployment, job) as the server has them."""
        if shape is None:
            return None, self._ensure_job(run, spec)
        document = plan.document if plan else None
        configmap = build_live_configmap(spec, run.owner, shape, document)
        # The whole data: a shape removed from the spec leaves the ConfigMap too.
        data = {**configmap["data"], LIVE_SHAPE_KEY: configmap["data"].get(LIVE_SHAPE_KEY)}
        self._ensure(run, CONFIGMAPS, configmap, {"data": data})
        desired = build_deployment(spec, run.owner, self._config, shape)
        in_place = {
            "spec": {
                "replicas": desired["spec"]["replicas"],
                "template": desired["spec"]["template"],
            }
        }
        return self._ensure(run, DEPLOYMENTS, desired, in_place), None

    def _announce(self, body: Mapping[str, Any], status: Status, post: Notifier) -> None:
        phase = str(status["phase"])
        ready: dict[str, str] = next((c for c in status["conditions"] if c["type"] == "Ready"), {})
        detail = PHASE_MESSAGES.get(phase) or ready.get("message", "")
        post(body, phase, f"phase {phase}" + (f": {detail}" if detail else ""), phase == "Failed")

    def _check_mode_unchanged(self, spec: GeneratorSpec, owner: Owner) -> None:
        # Older API servers ignore the CEL rule that makes spec.mode immutable; a child of
        # the other mode means the mode was edited after the start.
        other = JOBS if spec.mode == "streaming" else DEPLOYMENTS
        existing = self._api.get(other, owner.namespace, owner.name)
        if existing is not None and _owned_by(existing, owner):
            before = "batch" if spec.mode == "streaming" else "streaming"
            raise InvalidSpecError(
                [
                    f"spec.mode is immutable: it was {before}, now {spec.mode}; "
                    "create a new EventGenerator instead"
                ]
            )

    def _ensure(
        self, run: _Pass, kind: Kind, desired: dict[str, Any], in_place: dict[str, Any]
    ) -> dict[str, Any]:
        """Create `desired`, or merge-patch the `in_place` fields (plus labels and owner)
        when the object on the server does not already hold them."""
        owner = run.owner
        actual = self._api.get(kind, owner.namespace, desired["metadata"]["name"])
        if actual is None:
            run.changed.append(_identity(desired))
            return self._create(kind, desired, owner)
        if not _owned_by(actual, owner):
            raise ChildBusyError(f"{_identity(desired)} exists and is not owned by this generator")
        wanted = {
            "metadata": {
                "labels": desired["metadata"]["labels"],
                "ownerReferences": desired["metadata"]["ownerReferences"],
            },
            **in_place,
        }
        if covers(actual, wanted):
            return actual
        run.changed.append(_identity(desired))
        return self._patch(kind, desired, owner, wanted)

    def _patch(
        self, kind: Kind, desired: dict[str, Any], owner: Owner, patch: dict[str, Any]
    ) -> dict[str, Any]:
        try:
            return self._api.merge_patch(kind, owner.namespace, desired["metadata"]["name"], patch)
        except KubeApiError as error:
            if error.status in REFUSALS:
                raise ChildRejectedError(_identity(desired), error.status, error.message) from None
            raise

    def _create(self, kind: Kind, desired: dict[str, Any], owner: Owner) -> dict[str, Any]:
        try:
            return self._api.create(kind, owner.namespace, desired)
        except KubeApiError as error:
            if error.status == 409:
                raise ChildBusyError(f"{_identity(desired)}: {error.message}") from error
            if error.status in REFUSALS:
                raise ChildRejectedError(_identity(desired), error.status, error.message) from None
            raise

    def _ensure_job(self, run: _Pass, spec: GeneratorSpec) -> dict[str, Any] | None:
        """The batch's Job: created once, replaced when the batch changes (a Job's pod
        template is immutable), its parallelism kept; a finished one is left alone, and a
        batch that succeeded is never run again once its Job is gone."""
        owner, previous, changed = run.owner, run.previous, run.changed
        desired = build_job(spec, owner, self._config)
        wanted_hash = desired["metadata"]["annotations"][SPEC_HASH_ANNOTATION]
        actual = self._api.get(JOBS, owner.namespace, owner.name)
        if actual is None:
            done = (previous.get("batch") or {}).get("specHash") == wanted_hash
            if done and previous.get("phase") == "Succeeded":
                return None  # this exact batch already ran to completion: never rerun it
            changed.append(_identity(desired))
            return self._create(JOBS, desired, owner)
        if not _owned_by(actual, owner):
            raise ChildBusyError(f"Job {owner.name} exists and is not owned by this generator")
        actual_hash = (actual["metadata"].get("annotations") or {}).get(SPEC_HASH_ANNOTATION)
        if actual_hash != wanted_hash:
            # A Job's pod template is immutable: a new batch shape means a new Job.
            message = f"batch spec changed: replacing Job {owner.name}"
            run.post(run.body, "ReplacingJob", message, False)
            self._api.delete(JOBS, owner.namespace, owner.name)
            changed.append(_identity(desired))
            return self._create(JOBS, desired, owner)
        finished = any(
            c.get("type") in {"Complete", "Failed"} and c.get("status") == "True"
            for c in (actual.get("status") or {}).get("conditions") or []
        )
        if finished:
            return actual
        wanted = {
            "metadata": {
                "labels": desired["metadata"]["labels"],
                "ownerReferences": desired["metadata"]["ownerReferences"],
            },
            "spec": {"parallelism": desired["spec"]["parallelism"]},
        }
        if covers(actual, wanted):
            return actual
        changed.append(_identity(desired))
        return self._patch(JOBS, desired, owner, wanted)

    def _write_status(self, run: _Pass, wanted: Status) -> None:
        owner, previous = run.owner, run.previous
        if self._amend_status is not None:
            wanted = self._amend_status(wanted, previous, timestamp(self._clock()))
        patch = status_patch(previous, wanted)
        if not patch:
            return
        try:
            self._api.merge_patch(
                EVENTGENERATORS,
                owner.namespace,
                owner.name,
                {"status": patch},
                subresource="status",
            )
        except KubeApiError as error:
            if error.status != 404:  # deleted meanwhile: nothing left to report on
                raise
