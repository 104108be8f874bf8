"""A container's environment as a kubelet resolves it: literal values, downward-API fields,
ConfigMap keys. For tests that run (or parse) what a pod template asks for, without a node."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any


def resolve_env(
    container: Mapping[str, Any],
    fields: Mapping[str, str],
    configmap_data: Callable[[str], Mapping[str, str]],
) -> dict[str, str]:
    """``container``'s env: ``fields`` by fieldPath (``metadata.name``...), ConfigMap keys from
    ``configmap_data(name)`` (a KeyError for a field or key the test did not provide)."""
    env: dict[str, str] = {}
    for item in container["env"]:
        source = item.get("valueFrom")
        if source is None:
            env[item["name"]] = item["value"]
        elif "fieldRef" in source:
            env[item["name"]] = fields[source["fieldRef"]["fieldPath"]]
        else:
            ref = source["configMapKeyRef"]
            env[item["name"]] = configmap_data(ref["name"])[ref["key"]]
    return env
