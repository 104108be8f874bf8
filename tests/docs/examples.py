"""The project's examples/ as data, and the CRD's schema made strict, for the docs tests."""

from __future__ import annotations

import copy
import importlib.util
from pathlib import Path
from types import ModuleType
from typing import Any

import yaml

ROOT = Path(__file__).resolve().parents[2]
EXAMPLES = ROOT / "examples"
CRD = ROOT / "crds" / "eventgenerators.yaml"
DAILY = EXAMPLES / "daily-batch"


def documents(path: Path) -> list[dict[str, Any]]:
    """Every YAML document of `path` that is a mapping."""
    text = path.read_text(encoding="utf-8")
    return [d for d in yaml.safe_load_all(text) if isinstance(d, dict)]


def example_generators() -> list[tuple[str, dict[str, Any]]]:
    """(relative path, manifest) of every EventGenerator anywhere under examples/."""
    found = []
    for path in sorted(EXAMPLES.rglob("*.yaml")):
        for document in documents(path):
            if document.get("kind") == "EventGenerator":
                found.append((str(path.relative_to(EXAMPLES)), document))
    return found


def strict_schema(schema: dict[str, Any]) -> dict[str, Any]:
    """The CRD's openAPIV3Schema with unknown fields as errors, as the API server prunes
    them silently: every object that lists its properties gets additionalProperties false
    (maps that declare additionalProperties, and preserve-unknown-fields objects, stay)."""
    strict = copy.deepcopy(schema)

    def walk(node: dict[str, Any]) -> None:
        if (
            "properties" in node
            and "additionalProperties" not in node
            and not node.get("x-kubernetes-preserve-unknown-fields")
        ):
            node["additionalProperties"] = False
        for child in node.get("properties", {}).values():
            walk(child)
        if isinstance(node.get("additionalProperties"), dict):
            walk(node["additionalProperties"])
        if isinstance(node.get("items"), dict):
            walk(node["items"])

    walk(strict)
    return strict


def crd_schema() -> dict[str, Any]:
    """openAPIV3Schema of the served version of crds/eventgenerators.yaml, made strict."""
    (crd,) = documents(CRD)
    (version,) = [v for v in crd["spec"]["versions"] if v["served"]]
    return strict_schema(version["schema"]["openAPIV3Schema"])


def load_script(path: Path) -> ModuleType:
    """Import a Python file from examples/ as a module."""
    spec = importlib.util.spec_from_file_location(path.stem, path)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module
