"""Why a generator's pods fail, read from their status (pure; tested on recorded statuses).

A generator that can only fail (topic not found, permission denied, no credentials, a
bucket that does not exist) exits with a one-line error, which it also writes as its
termination message (eventgen.runtime.termination; the pod template asks for
FallbackToLogsOnError, so a crash leaves its last log lines instead). Kubernetes keeps it
in the pod's `containerStatuses[].lastState.terminated.message` while the container waits
in CrashLoopBackOff, or in `state.terminated.message` for a batch pod that failed. Pods
that cannot start at all say so in `state.waiting` (image pull errors, a missing Secret)
or in their PodScheduled condition (Unschedulable).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from eventgen_operator.status import readable

# Waiting reasons that mean the container will not start without a change.
STUCK_WAITING = frozenset(
    {
        "CrashLoopBackOff",
        "ErrImagePull",
        "ImagePullBackOff",
        "InvalidImageName",
        "ErrImageNeverPull",
        "CreateContainerConfigError",
        "CreateContainerError",
        "RunContainerError",
    }
)


def _terminated_message(terminated: Mapping[str, Any]) -> str:
    message = str(terminated.get("message") or "").strip()
    code = terminated.get("exitCode")
    if message:
        return readable(message)
    return f"exited with code {code} ({terminated.get('reason') or 'Error'})"


def _crash_message(container: Mapping[str, Any]) -> str | None:
    """The exit that makes this container failing: its own failed exit, the exit before a
    crash-loop back-off, or a failed exit before a restart that is not ready yet."""
    state = container.get("state") or {}
    terminated = state.get("terminated") or {}
    last = (container.get("lastState") or {}).get("terminated") or {}
    if terminated and terminated.get("exitCode") not in (0, None):
        return _terminated_message(terminated)
    if not last:
        return None
    if (state.get("waiting") or {}).get("reason") == "CrashLoopBackOff":
        return _terminated_message(last)
    if last.get("exitCode") not in (0, None) and not container.get("ready"):
        # Restarted after a failure and not ready yet: the seconds between two crashes of a
        # crash loop, which must not read as recovered.
        return _terminated_message(last)
    return None


def _container_failure(container: Mapping[str, Any]) -> str | None:
    crashed = _crash_message(container)
    if crashed is not None:
        return crashed
    waiting = (container.get("state") or {}).get("waiting") or {}
    if waiting.get("reason") in STUCK_WAITING:
        detail = str(waiting.get("message") or "").strip()
        return readable(f"{waiting['reason']}: {detail}" if detail else str(waiting["reason"]))
    return None


def pod_failure(pod: Mapping[str, Any]) -> str | None:
    """Why this pod's generator cannot run, or None when nothing says it failed."""
    status = pod.get("status") or {}
    for container in status.get("containerStatuses") or []:
        failure = _container_failure(container)
        if failure:
            return failure
    for condition in status.get("conditions") or []:
        if condition.get("type") == "PodScheduled" and condition.get("reason") == "Unschedulable":
            return readable(f"Unschedulable: {condition.get('message') or ''}".strip())
    return None


def generator_failure(pods: Iterable[Mapping[str, Any]]) -> str | None:
    """One line for the EventGenerator's status: the first failing pod (by name) and why,
    with how many of the pods fail. None when no pod fails."""
    failing = sorted(
        (str((pod.get("metadata") or {}).get("name", "")), failure)
        for pod in pods
        if (failure := pod_failure(pod)) is not None
        and not (pod.get("metadata") or {}).get("deletionTimestamp")
    )
    if not failing:
        return None
    name, failure = failing[0]
    others = f" (and {len(failing) - 1} more pod(s) failing)" if len(failing) > 1 else ""
    return readable(f"pod {name}: {failure}{others}")
