"""Small builders shared by the operator's unit tests (plain data, no servers)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import yaml

from eventgen_operator.children import Owner
from eventgen_operator.kubeapi import EVENTGENERATORS
from eventgen_operator.memory_kubeapi import MemoryKubeApi
from eventgen_operator.spec import GeneratorSpec, parse_spec

ROOT = Path(__file__).resolve().parents[2]
OWNER = Owner(name="orders", namespace="shop", uid="0b6f3a52-5d8e-4c2e-9a57-1f2d3c4b5a69")


def streaming(**fields: Any) -> GeneratorSpec:
    """A valid streaming spec (stdout sink) with `fields` overriding the defaults."""
    raw: dict[str, Any] = {"mode": "streaming", "sink": {"type": "stdout"}, **fields}
    return parse_spec(raw, OWNER.name)


def batch(events: int = 1000, shards: int = 4, **fields: Any) -> GeneratorSpec:
    """A valid batch spec (stdout sink)."""
    raw: dict[str, Any] = {
        "mode": "batch",
        "sink": {"type": "stdout"},
        "batch": {"events": events, "shards": shards},
        **fields,
    }
    return parse_spec(raw, OWNER.name)


def example(name: str) -> dict[str, Any]:
    """A manifest from examples/."""
    loaded: dict[str, Any] = yaml.safe_load((ROOT / "examples" / name).read_text())
    return loaded


def crd() -> dict[str, Any]:
    """crds/eventgenerators.yaml as data."""
    loaded: dict[str, Any] = yaml.safe_load((ROOT / "crds" / "eventgenerators.yaml").read_text())
    return loaded


def add_generator(api: MemoryKubeApi, name: str = OWNER.name, **spec: Any) -> None:
    """Create an EventGenerator in namespace `shop` (stdout sink, rate 100, streaming unless
    `spec` says otherwise), as `kubectl apply` would."""
    api.create(
        EVENTGENERATORS,
        OWNER.namespace,
        {
            "apiVersion": "ecommerce.dataplatform.io/v1alpha1",
            "kind": "EventGenerator",
            "metadata": {"name": name, "namespace": OWNER.namespace},
            "spec": {"sink": {"type": "stdout"}, "rate": 100, **spec},
        },
    )


def edit_spec(api: MemoryKubeApi, name: str = OWNER.name, **fields: Any) -> None:
    """A user's merge patch of the EventGenerator's spec (None removes a field)."""
    api.merge_patch(EVENTGENERATORS, OWNER.namespace, name, {"spec": fields})


def status_of(api: MemoryKubeApi, name: str = OWNER.name) -> dict[str, Any]:
    """The EventGenerator's status as stored ({} before the first write)."""
    found = api.get(EVENTGENERATORS, OWNER.namespace, name)
    assert found is not None, f"EventGenerator {name} does not exist"
    return dict(found.get("status") or {})
