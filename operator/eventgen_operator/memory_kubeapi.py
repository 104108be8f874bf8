"""An in-memory Kubernetes API: the `KubeApi` protocol over a dict, for tests and trials.

Shipped beside the real client (`kubeapi.HttpKubeApi`) as httpx ships `MockTransport`:
the reconciler and the supervisor run unchanged against it, in milliseconds and without a
server. It keeps the parts of the API server's behaviour that reconcile logic depends on:

- create answers 409 for a taken name; get answers None and patch 404 for a missing one;
- the server owns `uid`, `creationTimestamp`, `resourceVersion` (bumped on every write that
  changes the object, not on a no-op) and `generation` (bumped when `spec` changes);
- objects with a `spec` have a status subresource: their status is written only through
  `merge_patch(..., subresource="status")` (or `set_status`, as a controller would);
- a Job's pod template, completions and completion mode, and the selectors of Jobs and
  Deployments, are immutable (422), which is why a changed batch needs a new Job;
- list filters by label selector (`k=v`, `k==v`, `k!=v`, `k`, `!k`);
- errors are KubeApiError with the status code the server would send.

What it does not do: admission, defaulting, schema validation, and garbage collection
(dependents of a deleted object stay, as they do until the collector gets to them). Tests
drive the rest by hand: `set_status` plays the Deployment and Job controllers, `refuse`
plays an admission webhook or quota, `down` a server that does not answer.
"""

from __future__ import annotations

import copy
import threading
import uuid
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

from eventgen_operator.errors import KubeApiError
from eventgen_operator.kubeapi import Kind

Key = tuple[str, str, str]  # (plural, namespace, name)

# The reason an API server gives with each refusal status.
REASONS = {400: "BadRequest", 403: "Forbidden", 422: "Invalid"}
# Fields under `spec` the API server refuses to change after creation, per plural.
IMMUTABLE_SPEC_FIELDS = {
    "jobs": ("template", "completions", "completionMode", "selector"),
    "deployments": ("selector",),
}
# What the server manages in metadata: a client's value is ignored.
SERVER_METADATA = ("uid", "creationTimestamp", "resourceVersion", "generation")


def merge(target: Any, patch: Any) -> Any:
    """RFC 7386 JSON merge patch: maps merge, None removes a key, anything else replaces."""
    if not isinstance(patch, dict):
        return copy.deepcopy(patch)
    result = dict(target) if isinstance(target, dict) else {}
    for key, value in patch.items():
        if value is None:
            result.pop(key, None)
        else:
            result[key] = merge(result.get(key), value)
    return result


def _without_server_fields(metadata: dict[str, Any]) -> dict[str, Any]:
    return {key: value for key, value in metadata.items() if key not in SERVER_METADATA}


Requirement = Callable[[dict[str, str]], bool]


def _requirement(term: str) -> Requirement:
    """One term of an equality-based label selector as a test of an object's labels."""
    if "!=" in term:
        key, value = (part.strip() for part in term.split("!=", 1))
        return lambda labels: labels.get(key) != value
    if "=" in term:
        key, value = (part.strip() for part in term.replace("==", "=").split("=", 1))
        return lambda labels: labels.get(key) == value
    if " " in term or "(" in term:
        raise KubeApiError(400, "BadRequest", f"unable to parse requirement: {term!r}")
    if term.startswith("!"):
        return lambda labels: term[1:] not in labels
    return lambda labels: term in labels


def _selector(selector: str) -> list[Requirement]:
    """A label selector (`k=v`, `k==v`, `k!=v`, `k`, `!k`, comma-separated: all must hold)."""
    return [_requirement(term) for term in (part.strip() for part in selector.split(",")) if term]


def _resource(kind: Kind) -> str:
    """How the server names a kind in its messages: `jobs.batch`, `configmaps`."""
    parts = kind.prefix.split("/")
    return f"{kind.plural}.{parts[1]}" if parts[0] == "apis" else kind.plural


class MemoryKubeApi:
    """A `KubeApi` holding namespaced objects in a dict; thread-safe.

    `clock` gives the creation times it stamps (a shaped stream's plan is anchored there).
    `requests` records every call as `"VERB path"`, so a test can say what was written.
    """

    def __init__(self, clock: Callable[[], datetime] = lambda: datetime.now(UTC)) -> None:
        self.down = False
        """While True, every call fails as a refused connection does (status 0)."""
        self.requests: list[str] = []
        self._clock = clock
        self._objects: dict[Key, dict[str, Any]] = {}
        self._refusals: dict[str, tuple[int, str]] = {}
        self._revision = 0
        self._lock = threading.RLock()

    # -- test controls ------------------------------------------------------------------

    def refuse(self, kind: Kind, status: int, message: str) -> None:
        """Answer every create and patch of `kind` with `status` (an admission webhook, a
        quota, a validation the operator did not foresee) until `accept(kind)`."""
        self._refusals[kind.plural] = (status, message)

    def accept(self, kind: Kind) -> None:
        """Stop refusing `kind`."""
        self._refusals.pop(kind.plural, None)

    def set_status(self, kind: Kind, namespace: str, name: str, status: dict[str, Any]) -> None:
        """Merge `status` into the object, as its controller would (not a recorded request).

        Raises KeyError when the object does not exist.
        """
        with self._lock:
            key = (kind.plural, namespace, name)
            stored = self._objects[key]
            updated = {**stored, "status": merge(stored.get("status"), status)}
            self._store(key, stored, updated)

    def writes(self) -> list[str]:
        """The recorded requests that were not reads."""
        return [request for request in self.requests if not request.startswith("GET ")]

    # -- KubeApi ------------------------------------------------------------------------

    def _request(self, what: str) -> None:
        self.requests.append(what)
        if self.down:
            raise KubeApiError(0, "Unreachable", f"{what}: ConnectionRefusedError: refused")

    def _refuse(self, kind: Kind) -> None:
        if kind.plural in self._refusals:
            status, message = self._refusals[kind.plural]
            raise KubeApiError(status, REASONS.get(status, "Refused"), message)

    def _store(self, key: Key, before: dict[str, Any] | None, after: dict[str, Any]) -> None:
        """Keep `after`, bumping resourceVersion (and generation on a spec change) unless
        nothing changed: the server skips no-op writes."""
        if before is not None and after == before:
            return
        self._revision += 1
        metadata = after["metadata"] = dict(after["metadata"])
        metadata["resourceVersion"] = str(self._revision)
        if before is not None and "generation" in before["metadata"]:
            changed = after.get("spec") != before.get("spec")
            metadata["generation"] = before["metadata"]["generation"] + int(changed)
        self._objects[key] = after

    def ping(self) -> None:
        self._request("GET /version")

    def get(self, kind: Kind, namespace: str, name: str) -> dict[str, Any] | None:
        self._request(f"GET {kind.item(namespace, name)}")
        with self._lock:
            found = self._objects.get((kind.plural, namespace, name))
            return copy.deepcopy(found) if found is not None else None

    def list(self, kind: Kind, namespace: str, selector: str) -> list[dict[str, Any]]:
        self._request(f"GET {kind.collection(namespace)}?labelSelector={selector}")
        requirements = _selector(selector)
        with self._lock:
            return [
                copy.deepcopy(found)
                for (plural, where, _), found in sorted(self._objects.items())
                if plural == kind.plural
                and where == namespace
                and all(test(found["metadata"].get("labels") or {}) for test in requirements)
            ]

    def create(self, kind: Kind, namespace: str, body: dict[str, Any]) -> dict[str, Any]:
        self._request(f"POST {kind.collection(namespace)}")
        self._refuse(kind)
        name = body["metadata"]["name"]
        if body["metadata"].get("namespace", namespace) != namespace:
            raise KubeApiError(400, "BadRequest", "the namespace of the object does not match")
        with self._lock:
            key = (kind.plural, namespace, name)
            if key in self._objects:
                raise KubeApiError(
                    409, "AlreadyExists", f'{_resource(kind)} "{name}" already exists'
                )
            stored = copy.deepcopy(body)
            metadata = _without_server_fields(stored["metadata"])
            metadata.update(
                namespace=namespace,
                uid=str(uuid.uuid4()),
                creationTimestamp=self._clock().astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ"),
            )
            if "spec" in stored:
                metadata["generation"] = 1
                stored.pop("status", None)  # status is the subresource's
            stored["metadata"] = metadata
            self._store(key, None, stored)
            return copy.deepcopy(self._objects[key])

    def merge_patch(
        self, kind: Kind, namespace: str, name: str, patch: dict[str, Any], subresource: str = ""
    ) -> dict[str, Any]:
        suffix = f"/{subresource}" if subresource else ""
        self._request(f"PATCH {kind.item(namespace, name)}{suffix}")
        if not subresource:
            self._refuse(kind)
        with self._lock:
            key = (kind.plural, namespace, name)
            before = self._objects.get(key)
            if before is None:
                raise KubeApiError(404, "NotFound", f'{_resource(kind)} "{name}" not found')
            after = merge(before, self._writable(before, patch, subresource))
            self._check_immutable(kind, name, before, after)
            self._store(key, before, after)
            return copy.deepcopy(self._objects[key])

    @staticmethod
    def _writable(before: dict[str, Any], patch: dict[str, Any], subresource: str) -> Any:
        """The part of `patch` this endpoint may write."""
        if subresource == "status":
            return {"status": patch.get("status")} if "status" in patch else {}
        writable = dict(patch)
        if "spec" in before:
            writable.pop("status", None)  # the status subresource's
        if isinstance(writable.get("metadata"), dict):
            writable["metadata"] = _without_server_fields(writable["metadata"])
        return writable

    @staticmethod
    def _check_immutable(
        kind: Kind, name: str, before: dict[str, Any], after: dict[str, Any]
    ) -> None:
        old, new = before.get("spec") or {}, after.get("spec") or {}
        for field in IMMUTABLE_SPEC_FIELDS.get(kind.plural, ()):
            if old.get(field) != new.get(field):
                raise KubeApiError(
                    422,
                    "Invalid",
                    f'{_resource(kind)} "{name}" is invalid: spec.{field}: Invalid value: '
                    "field is immutable",
                )

    def delete(self, kind: Kind, namespace: str, name: str) -> None:
        self._request(f"DELETE {kind.item(namespace, name)}")
        with self._lock:
            self._objects.pop((kind.plural, namespace, name), None)
