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


def _job_condition(job: Mapping[str, Any], kind: str) -> Mapping[str, Any] | None:
    for condition in (job.get("status") or {}).get("conditions") or []:
        if condition.get("type") == kind and condition.get("status") == "True":
            return dict(condition)
    return None


def _shape_status(plan: ShapedPlan, replicas: int) -> Status:
    """`status.shape`: the rate in force now, what the replicas are sized for, the next change."""
    fields: Status = {
        "currentRate": round(plan.current_rate, 3) if replicas else 0.0,
        "sizedForRate": round(plan.sized_for_rate, 3),
    }
    if plan.next_change is not None:
        moment = datetime.fromtimestamp(plan.next_change.at, UTC)
        fields["nextChangeTime"] = moment.strftime("%Y-%m-%dT%H:%M:%SZ")
        fields["nextRate"] = round(plan.next_change.factor, 3)
    return fields


def _streaming(
    spec: GeneratorSpec,
    deployment: Mapping[str, Any] | None,
    failing: str | None,
    shape: StreamingShape,
    plan: ShapedPlan | None,
) -> tuple[Status, list[Condition]]:
    state = (deployment or {}).get("status") or {}
    ready = int(state.get("readyReplicas") or 0)
    updated = int(state.get("updatedReplicas") or 0)
    current = int(state.get("replicas") or 0)
    fields: Status = {
        "replicas": shape.replicas,
        "readyReplicas": ready,
        # The total in force (0 while paused or suspended): `kubectl get evgen` shows it as
        # RATE, so batch rows, which have none, show no rate at all.
        "targetRate": float(spec.rate) if shape.replicas else 0.0,
        "ratePerReplica": shape.rate_per_replica,
    }
    if plan is not None:
        # A shaped stream's RATE is the rate in force now (spec.rate x the shape's factor).
        fields["shape"] = _shape_status(plan, shape.replicas)
        fields["targetRate"] = fields["shape"]["currentRate"]
    converged = (
        deployment is not None
        and ready == shape.replicas
        and current == shape.replicas
        and (shape.replicas == 0 or updated == shape.replicas)
    )
    progress = f"{ready} of {shape.replicas} replicas ready"
    if spec.suspend:
        phase, reason, message = "Suspended", "Suspended", "suspended: scaled to 0 replicas"
    elif shape.replicas == 0:
        phase, reason, message = "Paused", "Paused", "rate is 0: scaled to 0 replicas"
    else:
        phase = "Running" if ready > 0 else "Pending"
        reason, message = "AllReplicasReady", progress
    failure = next(
        (
            c
            for c in state.get("conditions") or []
            if (c.get("type") == "ReplicaFailure" and c.get("status") == "True")
            or (c.get("type") == "Progressing" and c.get("reason") == "ProgressDeadlineExceeded")
        ),
        None,
    )
    if converged:
        ready_condition = Condition("Ready", True, reason, message)
    elif failing:
        ready_condition = Condition("Ready", False, GENERATOR_FAILING, failing)
    else:
        ready_condition = Condition("Ready", False, "ReplicasNotReady", progress)
    if failing and not converged:
        degraded = Condition("Degraded", True, GENERATOR_FAILING, failing)
    elif failure is not None:
        degraded = Condition(
            "Degraded", True, str(failure.get("reason")), str(failure.get("message", ""))
        )
    else:
        degraded = Condition("Degraded", False, "AsExpected", "")
    conditions = [
        ready_condition,
        Condition(
            "Progressing",
            not converged,
            "Scaling" if not converged else "Converged",
            progress
            if not converged
            else f"{shape.replicas} replicas at {shape.rate_per_replica:g} events/s each",
        ),
        degraded,
    ]
    fields["phase"] = phase
    return fields, conditions


def _batch(
    spec: GeneratorSpec,
    job: Mapping[str, Any] | None,
    previous: Mapping[str, Any],
    failing: str | None,
) -> tuple[Status, list[Condition]]:
    assert spec.batch is not None
    shards = spec.batch.shards
    state = (job or {}).get("status") or {}
    succeeded = int(state.get("succeeded") or 0)
    failed = int(state.get("failed") or 0)
    active = int(state.get("active") or 0)
    job_hash = ((job or {}).get("metadata") or {}).get("annotations", {}).get(SPEC_HASH_ANNOTATION)
    fields: Status = {
        "replicas": active,
        "readyReplicas": int(state.get("ready") or 0),
        "batch": {"shards": shards, "succeededShards": succeeded, "failedPods": failed},
    }
    for key in ("startTime", "completionTime"):
        if state.get(key):
            fields[key] = state[key]
    complete = job is not None and _job_condition(job, "Complete") is not None
    job_failed = _job_condition(job, "Failed") if job is not None else None
    previous_batch = previous.get("batch") or {}
    if job is None and previous.get("phase") == "Succeeded" and previous_batch.get("specHash"):
        # The finished Job was deleted (by hand or a TTL): the batch stays done.
        fields["batch"] = dict(previous_batch)
        fields["replicas"] = 0
        if previous.get("completionTime"):
            fields["completionTime"] = previous["completionTime"]
        complete = True
    elif job_hash:
        fields["batch"]["specHash"] = job_hash
    unindexed = job is not None and (job.get("spec") or {}).get("completionMode") != "Indexed"
    if complete:
        phase = "Succeeded"
        ready = Condition("Ready", True, "Completed", f"{shards} of {shards} shards done")
    elif job_failed is not None:
        phase = "Failed"
        ready = Condition(
            "Ready",
            False,
            str(job_failed.get("reason", "JobFailed")),
            str(job_failed.get("message", "")),
        )
    elif spec.suspend or batch_parallelism(spec) == 0:
        phase = "Suspended"
        ready = Condition(
            "Ready", False, "Suspended", f"suspended after {succeeded} of {shards} shards"
        )
    else:
        phase = "Running" if active > 0 else "Pending"
        ready = Condition("Ready", False, "Running", f"{succeeded} of {shards} shards done")
    finished = complete or job_failed is not None
    progressing = Condition(
        "Progressing",
        not finished and phase != "Suspended",
        "Running" if not finished and phase != "Suspended" else phase,
        f"{succeeded} of {shards} shards done, {active} running",
    )
    if unindexed and not finished:
        degraded = Condition(
            "Degraded",
            True,
            "IndexedJobsUnsupported",
            "this cluster dropped completionMode: Indexed (Kubernetes < 1.21): "
            "shard pods cannot learn their index; use Kubernetes >= 1.21",
        )
    elif failing and not complete:
        degraded = Condition("Degraded", True, GENERATOR_FAILING, failing)
        if job_failed is None and phase in {"Running", "Pending"}:
            ready = Condition("Ready", False, GENERATOR_FAILING, failing)
    elif job_failed is not None or failed > 0:
        degraded = Condition("Degraded", True, "PodFailures", f"{failed} shard pod(s) failed")
    else:
        degraded = Condition("Degraded", False, "AsExpected", "")
    fields["phase"] = phase
    return fields, [ready, progressing, degraded]


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
