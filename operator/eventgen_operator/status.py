"""Pure status computation: the children's observed state in, the EventGenerator's status out.

Conditions follow the Kubernetes convention: `Ready` (doing what the spec asks),
`Progressing` (still converging), `Degraded` (something is wrong that the user should look
at). A condition keeps its lastTransitionTime while its status stays the same, so the time
says when things last changed, not when the operator last looked.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

from eventgen_operator.labels import SPEC_HASH_ANNOTATION
from eventgen_operator.sizing import StreamingShape, batch_parallelism, flat_shape
from eventgen_operator.spec import GeneratorSpec

if TYPE_CHECKING:
    from eventgen_operator.shaping import ShapedPlan

Status = dict[str, Any]

# The reason of Ready and Degraded while generator pods fail (pod_failures.py says why).
GENERATOR_FAILING = "GeneratorFailing"


@dataclass(frozen=True)
class Condition:
    """One condition as computed; the timestamp is filled in by `_merge_conditions`."""

    type: str
    status: bool
    reason: str
    message: str


def timestamp(now: datetime) -> str:
    """RFC 3339 in UTC with seconds, as Kubernetes writes times."""
    return now.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def _merge_conditions(
    conditions: Sequence[Condition], previous: Sequence[Mapping[str, Any]], now: datetime
) -> list[dict[str, str]]:
    before = {str(item.get("type")): item for item in previous}
    merged = []
    for condition in conditions:
        status = "True" if condition.status else "False"
        old = before.get(condition.type)
        changed = old is None or old.get("status") != status
        since = timestamp(now) if changed or old is None else str(old.get("lastTransitionTime"))
        item = {"type": condition.type, "status": status, "reason": condition.reason}
        if condition.message:
            # Empty strings in a merge patch reach a 1.20 server as null and fail the schema.
            item["message"] = condition.message
        item["lastTransitionTime"] = since
        merged.append(item)
    return merged


# -- streaming: phase choice, then one builder per condition ----------------------------


def _shape_status(plan: ShapedPlan, replicas: int) -> Status:
    """`status.shape`: the rate in force now, what the replicas are sized for, the next change."""
    fields: Status = {
        "currentRate": round(plan.current_rate, 3) if replicas else 0.0,
        "sizedForRate": round(plan.sized_for_rate, 3),
    }
    if plan.next_change is not None:
        fields["nextChangeTime"] = timestamp(datetime.fromtimestamp(plan.next_change.at, UTC))
        fields["nextRate"] = round(plan.next_change.factor, 3)
    return fields


def _deployment_failure(state: Mapping[str, Any]) -> Mapping[str, Any] | None:
    """The Deployment condition that says its pods cannot be made (quota, deadline)."""
    for condition in state.get("conditions") or []:
        kind, status = condition.get("type"), condition.get("status")
        if (kind == "ReplicaFailure" and status == "True") or (
            kind == "Progressing" and condition.get("reason") == "ProgressDeadlineExceeded"
        ):
            return dict(condition)
    return None


@dataclass(frozen=True)
class _Rollout:
    """The Deployment as observed, against the replicas the shape wants."""

    wanted: int
    ready: int
    converged: bool
    failure: Mapping[str, Any] | None

    @classmethod
    def read(cls, deployment: Mapping[str, Any] | None, wanted: int) -> _Rollout:
        state = (deployment or {}).get("status") or {}
        ready = int(state.get("readyReplicas") or 0)
        updated = int(state.get("updatedReplicas") or 0)
        current = int(state.get("replicas") or 0)
        converged = (
            deployment is not None
            and ready == wanted
            and current == wanted
            and (wanted == 0 or updated == wanted)
        )
        return cls(wanted, ready, converged, _deployment_failure(state))

    @property
    def progress(self) -> str:
        return f"{self.ready} of {self.wanted} replicas ready"


def _stream_fields(
    spec: GeneratorSpec, shape: StreamingShape, rollout: _Rollout, plan: ShapedPlan | None
) -> Status:
    fields: Status = {
        "replicas": shape.replicas,
        "readyReplicas": rollout.ready,
        # The total in force (0 while paused or suspended): `kubectl get evgen` shows it as
        # RATE, so batch rows, which have none, show no rate at all.
        "targetRate": float(spec.rate) if shape.replicas else 0.0,
        "ratePerReplica": shape.rate_per_replica,
    }
    if plan is not None:
        # A shaped stream's RATE is the rate in force now (spec.rate x the shape's factor).
        fields["shape"] = _shape_status(plan, shape.replicas)
        fields["targetRate"] = fields["shape"]["currentRate"]
    return fields


def _stream_phase(spec: GeneratorSpec, rollout: _Rollout) -> str:
    if spec.suspend:
        return "Suspended"
    if rollout.wanted == 0:
        return "Paused"
    return "Running" if rollout.ready > 0 else "Pending"


# Ready's reason and message once a stream has converged, by phase (else AllReplicasReady).
_SETTLED = {
    "Suspended": ("Suspended", "suspended: scaled to 0 replicas"),
    "Paused": ("Paused", "rate is 0: scaled to 0 replicas"),
}


def _stream_ready(phase: str, rollout: _Rollout, failing: str | None) -> Condition:
    if rollout.converged:
        reason, message = _SETTLED.get(phase, ("AllReplicasReady", rollout.progress))
        return Condition("Ready", True, reason, message)
    if failing:
        return Condition("Ready", False, GENERATOR_FAILING, failing)
    return Condition("Ready", False, "ReplicasNotReady", rollout.progress)


def _stream_progressing(shape: StreamingShape, rollout: _Rollout) -> Condition:
    if rollout.converged:
        each = f"{shape.replicas} replicas at {shape.rate_per_replica:g} events/s each"
        return Condition("Progressing", False, "Converged", each)
    return Condition("Progressing", True, "Scaling", rollout.progress)


def _stream_degraded(rollout: _Rollout, failing: str | None) -> Condition:
    if failing and not rollout.converged:
        return Condition("Degraded", True, GENERATOR_FAILING, failing)
    if rollout.failure is not None:
        failure = rollout.failure
        return Condition(
            "Degraded", True, str(failure.get("reason")), str(failure.get("message", ""))
        )
    return Condition("Degraded", False, "AsExpected", "")


def _streaming(
    spec: GeneratorSpec,
    deployment: Mapping[str, Any] | None,
    failing: str | None,
    shape: StreamingShape,
    plan: ShapedPlan | None,
) -> tuple[Status, list[Condition]]:
    rollout = _Rollout.read(deployment, shape.replicas)
    phase = _stream_phase(spec, rollout)
    fields = {**_stream_fields(spec, shape, rollout, plan), "phase": phase}
    conditions = [
        _stream_ready(phase, rollout, failing),
        _stream_progressing(shape, rollout),
        _stream_degraded(rollout, failing),
    ]
    return fields, conditions


# -- batch: phase choice, then one builder per condition --------------------------------


def _job_condition(job: Mapping[str, Any] | None, kind: str) -> Mapping[str, Any] | None:
    """The Job's condition of type `kind` when it holds (status True), else None."""
    for condition in ((job or {}).get("status") or {}).get("conditions") or []:
        if condition.get("type") == kind and condition.get("status") == "True":
            return dict(condition)
    return None


def _remembered_batch(
    job: Mapping[str, Any] | None, previous: Mapping[str, Any]
) -> Mapping[str, Any] | None:
    """`status.batch` of a batch that succeeded and whose Job was deleted since (by hand or
    a TTL): the batch stays done. None otherwise."""
    before = previous.get("batch") or {}
    if job is None and previous.get("phase") == "Succeeded" and before.get("specHash"):
        return dict(before)
    return None


@dataclass(frozen=True)
class _BatchRun:
    """The Job as observed: shard counts and how it ended, if it did."""

    shards: int
    succeeded: int
    failed: int
    active: int
    complete: bool
    failure: Mapping[str, Any] | None
    """The Job's Failed condition."""
    unindexed: bool
    """The server dropped completionMode: Indexed (Kubernetes < 1.21)."""

    @classmethod
    def read(cls, shards: int, job: Mapping[str, Any] | None, remembered: bool) -> _BatchRun:
        state = (job or {}).get("status") or {}
        return cls(
            shards=shards,
            succeeded=int(state.get("succeeded") or 0),
            failed=int(state.get("failed") or 0),
            active=int(state.get("active") or 0),
            complete=remembered or _job_condition(job, "Complete") is not None,
            failure=_job_condition(job, "Failed"),
            unindexed=job is not None
            and (job.get("spec") or {}).get("completionMode") != "Indexed",
        )

    @property
    def finished(self) -> bool:
        return self.complete or self.failure is not None

    @property
    def done(self) -> str:
        return f"{self.succeeded} of {self.shards} shards done"


def _batch_fields(
    job: Mapping[str, Any] | None,
    run: _BatchRun,
    previous: Mapping[str, Any],
    remembered: Mapping[str, Any] | None,
) -> Status:
    state = (job or {}).get("status") or {}
    fields: Status = {
        "replicas": run.active,
        "readyReplicas": int(state.get("ready") or 0),
        "batch": {
            "shards": run.shards,
            "succeededShards": run.succeeded,
            "failedPods": run.failed,
        },
    }
    for key in ("startTime", "completionTime"):
        if state.get(key):
            fields[key] = state[key]
    job_hash = ((job or {}).get("metadata") or {}).get("annotations", {}).get(SPEC_HASH_ANNOTATION)
    if remembered is not None:
        fields["batch"] = dict(remembered)
        fields["replicas"] = 0
        if previous.get("completionTime"):
            fields["completionTime"] = previous["completionTime"]
    elif job_hash:
        fields["batch"]["specHash"] = job_hash
    return fields


def _batch_phase(spec: GeneratorSpec, run: _BatchRun) -> str:
    if run.complete:
        return "Succeeded"
    if run.failure is not None:
        return "Failed"
    if spec.suspend or batch_parallelism(spec) == 0:
        return "Suspended"
    return "Running" if run.active > 0 else "Pending"


def _batch_ready(phase: str, run: _BatchRun, failing: str | None) -> Condition:
    if phase == "Succeeded":
        return Condition("Ready", True, "Completed", f"{run.shards} of {run.shards} shards done")
    if phase == "Failed":
        failure = run.failure or {}
        reason, message = failure.get("reason", "JobFailed"), failure.get("message", "")
        return Condition("Ready", False, str(reason), str(message))
    if phase == "Suspended":
        after = f"suspended after {run.succeeded} of {run.shards} shards"
        return Condition("Ready", False, "Suspended", after)
    # Running or Pending: failing pods say why, unless the Job cannot be indexed at all
    # (Degraded says that instead).
    if failing and not run.unindexed:
        return Condition("Ready", False, GENERATOR_FAILING, failing)
    return Condition("Ready", False, "Running", run.done)


def _batch_progressing(phase: str, run: _BatchRun) -> Condition:
    moving = not run.finished and phase != "Suspended"
    return Condition(
        "Progressing", moving, "Running" if moving else phase, f"{run.done}, {run.active} running"
    )


def _batch_degraded(run: _BatchRun, failing: str | None) -> Condition:
    if run.unindexed and not run.finished:
        return Condition(
            "Degraded",
            True,
            "IndexedJobsUnsupported",
            "this cluster dropped completionMode: Indexed (Kubernetes < 1.21): "
            "shard pods cannot learn their index; use Kubernetes >= 1.21",
        )
    if failing and not run.complete:
        return Condition("Degraded", True, GENERATOR_FAILING, failing)
    if run.failure is not None or run.failed > 0:
        return Condition("Degraded", True, "PodFailures", f"{run.failed} shard pod(s) failed")
    return Condition("Degraded", False, "AsExpected", "")


def _batch(
    spec: GeneratorSpec,
    job: Mapping[str, Any] | None,
    previous: Mapping[str, Any],
    failing: str | None,
) -> tuple[Status, list[Condition]]:
    assert spec.batch is not None
    remembered = _remembered_batch(job, previous)
    run = _BatchRun.read(spec.batch.shards, job, remembered is not None)
    phase = _batch_phase(spec, run)
    fields = {**_batch_fields(job, run, previous, remembered), "phase": phase}
    conditions = [
        _batch_ready(phase, run, failing),
        _batch_progressing(phase, run),
        _batch_degraded(run, failing),
    ]
    return fields, conditions


def compute_status(
    spec: GeneratorSpec,
    generation: int,
    deployment: Mapping[str, Any] | None,
    job: Mapping[str, Any] | None,
    previous: Mapping[str, Any],
    now: datetime,
    failing: str | None = None,
    plan: ShapedPlan | None = None,
    shape: StreamingShape | None = None,
) -> Status:
    """The status for a valid spec, from its children as last read from the API server.

    `previous` is the status currently stored (for condition transition times and to
    remember a finished batch); `now` is when the operator looked; `failing` is why the
    generator pods fail (pod_failures.generator_failure), None when none does; `plan` is
    a shaped stream's plan at `now` (eventgen_operator.shaping); `shape` is the stream's
    shape as the reconcile sized it (sizing.py; None: the spec's flat shape).
    """
    if spec.mode == "streaming":
        sized = shape or (plan.streaming if plan else flat_shape(spec))
        fields, conditions = _streaming(spec, deployment, failing, sized, plan)
    else:
        fields, conditions = _batch(spec, job, previous, failing)
    status: Status = {"observedGeneration": generation, **fields}
    return _finish(status, conditions, previous, now)


def _finish(
    status: Status, conditions: Sequence[Condition], previous: Mapping[str, Any], now: datetime
) -> Status:
    """Add the conditions and `reason`: the Degraded reason while Degraded, so
    `kubectl get evgen` shows at a glance which generators are stuck and why."""
    status["conditions"] = _merge_conditions(conditions, previous.get("conditions") or [], now)
    degraded = next((c for c in conditions if c.type == "Degraded" and c.status), None)
    if degraded is not None:
        status["reason"] = degraded.reason
    return status


def invalid_status(
    problems: Sequence[str], generation: int, previous: Mapping[str, Any], now: datetime
) -> Status:
    """The status of a spec the operator refuses: phase Invalid, Ready=False InvalidSpec."""
    message = "; ".join(problems)
    conditions = [
        Condition("Ready", False, "InvalidSpec", message),
        Condition("Progressing", False, "InvalidSpec", "waiting for the spec to be fixed"),
        Condition("Degraded", True, "InvalidSpec", message),
    ]
    return _finish(
        {"observedGeneration": generation, "phase": "Invalid"}, conditions, previous, now
    )


# Longest server or container message kept in a condition: `kubectl describe` shows it whole,
# and admission messages can run to kilobytes.
MESSAGE_LIMIT = 300


def readable(message: str, limit: int = MESSAGE_LIMIT) -> str:
    """`message` on one line, cut to `limit` characters (ending in "...")."""
    text = " ".join(message.split())
    return text if len(text) <= limit else text[: limit - 3].rstrip() + "..."


def rejected_status(
    child: str,
    message: str,
    generation: int,
    previous: Mapping[str, Any],
    now: datetime,
) -> Status:
    """The status while the API server refuses a child: phase Rejected, Ready=False and
    Degraded=True with reason ChildRejected and the server's message."""
    said = readable(f"{child}: {message}")
    conditions = [
        Condition("Ready", False, "ChildRejected", said),
        Condition(
            "Progressing",
            False,
            "ChildRejected",
            "retrying with a growing delay (at most 5 minutes), and at once on a spec edit",
        ),
        Condition("Degraded", True, "ChildRejected", said),
    ]
    return _finish(
        {"observedGeneration": generation, "phase": "Rejected"}, conditions, previous, now
    )


def status_patch(previous: Mapping[str, Any], wanted: Status) -> Status:
    """A merge patch turning `previous` into `wanted`: changed keys, and None for keys to
    drop (for example `ratePerReplica` after a switch to batch). Empty when nothing changed."""
    patch: Status = {key: value for key, value in wanted.items() if previous.get(key) != value}
    ours = {
        "phase",
        "reason",
        "observedGeneration",
        "replicas",
        "readyReplicas",
        "targetRate",
        "ratePerReplica",
        "shape",
        "batch",
        "startTime",
        "completionTime",
        "conditions",
    }
    for key in ours - wanted.keys():
        if key in previous:
            patch[key] = None
    return patch
