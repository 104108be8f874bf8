"""A dict-backed stand-in for `KubeApi`: the operator's logic in milliseconds, no server.

It can be switched off (every call fails as a refused connection would) and can refuse
writes of one kind with the status and message an API server would send.
"""

from __future__ import annotations

import copy
import threading
import uuid
from typing import Any

from eventgen_operator.errors import KubeApiError
from eventgen_operator.kubeapi import Kind


def merge(target: Any, patch: Any) -> Any:
    """RFC 7386 JSON merge patch."""
    if not isinstance(patch, dict):
        return copy.deepcopy(patch)
    result = dict(target) if isinstance(target, dict) else {}
    for key, value in patch.items():
        if value is None:
            result.pop(key, None)
        else:
            result[key] = merge(result.get(key), value)
    return result


class MemoryApi:
    """Objects by (path prefix, plural, namespace, name); counts calls."""

    def __init__(self) -> None:
        self.objects: dict[tuple[str, str, str], dict[str, Any]] = {}
        self.down = False
        self.refusals: dict[str, tuple[int, str]] = {}  # plural -> (status, message)
        self.calls = 0
        self._lock = threading.Lock()

    def _check(self, what: str) -> None:
        self.calls += 1
        if self.down:
            raise KubeApiError(0, "Unreachable", f"{what}: ConnectionRefusedError: refused")

    def ping(self) -> None:
        self._check("GET /version")

    def get(self, kind: Kind, namespace: str, name: str) -> dict[str, Any] | None:
        self._check(f"GET {kind.item(namespace, name)}")
        with self._lock:
            found = self.objects.get((kind.plural, namespace, name))
            return copy.deepcopy(found) if found is not None else None

    def list(self, kind: Kind, namespace: str, selector: str) -> list[dict[str, Any]]:
        self._check(f"GET {kind.collection(namespace)}?labelSelector={selector}")
        wanted = dict(pair.split("=", 1) for pair in selector.split(","))
        with self._lock:
            return [
                copy.deepcopy(found)
                for (plural, ns, _), found in self.objects.items()
                if plural == kind.plural
                and ns == namespace
                and all(
                    (found["metadata"].get("labels") or {}).get(key) == value
                    for key, value in wanted.items()
                )
            ]

    def _refuse(self, kind: Kind) -> None:
        if kind.plural in self.refusals:
            status, message = self.refusals[kind.plural]
            raise KubeApiError(status, "Invalid", message)

    def create(self, kind: Kind, namespace: str, body: dict[str, Any]) -> dict[str, Any]:
        self._check(f"POST {kind.collection(namespace)}")
        self._refuse(kind)
        with self._lock:
            key = (kind.plural, namespace, body["metadata"]["name"])
            if key in self.objects:
                raise KubeApiError(409, "AlreadyExists", "exists")
            stored = copy.deepcopy(body)
            stored["metadata"].setdefault("uid", str(uuid.uuid4()))
            self.objects[key] = stored
            return copy.deepcopy(stored)

    def merge_patch(
        self, kind: Kind, namespace: str, name: str, patch: dict[str, Any], subresource: str = ""
    ) -> dict[str, Any]:
        self._check(f"PATCH {kind.item(namespace, name)}")
        if not subresource:
            self._refuse(kind)
        with self._lock:
            key = (kind.plural, namespace, name)
            if key not in self.objects:
                raise KubeApiError(404, "NotFound", "not found")
            self.objects[key] = merge(self.objects[key], patch)
            return copy.deepcopy(self.objects[key])

    def delete(self, kind: Kind, namespace: str, name: str) -> None:
        self._check(f"DELETE {kind.item(namespace, name)}")
        with self._lock:
            self.objects.pop((kind.plural, namespace, name), None)
