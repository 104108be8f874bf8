"""Rendering the platform Helm chart with the real helm binary, and reading what it renders.

Tests call ``render()`` with values as Python data (written to a values file, so types
survive: ``--set`` would turn "0.1.0" or "604800s" into whatever helm guesses).
"""

from __future__ import annotations

import os
import secrets
import subprocess
import tempfile
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

import yaml

if TYPE_CHECKING:
    from tests.support.controlplane import ControlPlane

REPO_ROOT = Path(__file__).resolve().parents[2]
CHART_DIR = REPO_ROOT / "helm" / "platform"
RELEASE = "platform"
RELEASE_NAMESPACE = "eventgen"

Manifest = dict[str, Any]


class RenderError(Exception):
    """helm refused to render; ``str()`` is helm's own error text."""


@dataclass(frozen=True)
class Rendered:
    """The objects one ``helm template`` produced, with lookups tests need."""

    objects: list[Manifest]

    def of_kind(self, kind: str) -> list[Manifest]:
        """Every object of ``kind`` in render order."""
        return [obj for obj in self.objects if obj["kind"] == kind]

    def one(self, kind: str, name: str | None = None) -> Manifest:
        """The single object of ``kind`` (and ``name``); fails when there is not exactly one."""
        found = [
            obj for obj in self.of_kind(kind) if name is None or obj["metadata"]["name"] == name
        ]
        if len(found) != 1:
            names = [obj["metadata"]["name"] for obj in self.of_kind(kind)]
            raise AssertionError(f"expected one {kind} {name or ''}, found {len(found)}: {names}")
        return found[0]

    def kinds(self) -> set[str]:
        """The kinds present."""
        return {obj["kind"] for obj in self.objects}


def default_values(**overrides: Any) -> dict[str, Any]:
    """The smallest valid values: a project ID, merged with ``overrides`` (top-level keys)."""
    values: dict[str, Any] = {"gcp": {"projectId": "test-project"}}
    values.update(overrides)
    return values


def helm_template_argv(
    helm: Path,
    values_file: Path | None,
    *,
    release: str = RELEASE,
    namespace: str = RELEASE_NAMESPACE,
    extra: Iterable[str] = (),
) -> list[str]:
    """The ``helm template`` command line for the chart (CRDs included)."""
    argv = [str(helm), "template", release, str(CHART_DIR), "--namespace", namespace]
    argv.append("--include-crds")
    if values_file is not None:
        argv += ["--values", str(values_file)]
    return argv + list(extra)


def render_text(
    helm: Path,
    values: Mapping[str, Any] | None,
    *,
    release: str = RELEASE,
    namespace: str = RELEASE_NAMESPACE,
    extra: Iterable[str] = (),
) -> str:
    """The rendered YAML stream; raises RenderError with helm's message when it refuses."""
    with tempfile.TemporaryDirectory(prefix="chart-values-") as folder:
        values_file = None
        if values is not None:
            values_file = Path(folder) / "values.yaml"
            values_file.write_text(yaml.safe_dump(dict(values)))
        argv = helm_template_argv(
            helm, values_file, release=release, namespace=namespace, extra=extra
        )
        result = subprocess.run(
            argv, capture_output=True, text=True, timeout=120, check=False, env=_helm_env(folder)
        )
    if result.returncode != 0:
        raise RenderError(result.stderr.strip() or result.stdout.strip())
    return result.stdout


def render(
    helm: Path,
    values: Mapping[str, Any] | None,
    *,
    release: str = RELEASE,
    namespace: str = RELEASE_NAMESPACE,
) -> Rendered:
    """Render the chart and parse every document (empty documents dropped)."""
    text = render_text(helm, values, release=release, namespace=namespace)
    objects = [doc for doc in yaml.safe_load_all(text) if doc]
    return Rendered(objects=objects)


def _helm_env(folder: str) -> dict[str, str]:
    # helm keeps caches and config under $HOME by default; keep each run self-contained.
    env = dict(os.environ)
    env.update(
        HELM_CACHE_HOME=os.path.join(folder, "cache"),
        HELM_CONFIG_HOME=os.path.join(folder, "config"),
        HELM_DATA_HOME=os.path.join(folder, "data"),
    )
    return env


# -- Config Connector CRDs -------------------------------------------------------------

KCC_CRDS_ENV = "EVENTGEN_KCC_CRDS"


def kcc_crds_dir() -> Path:
    """Where the Config Connector CRDs are: ``EVENTGEN_KCC_CRDS``, else ../shared/kcc-crds."""
    configured = os.environ.get(KCC_CRDS_ENV)
    if configured:
        return Path(configured)
    return REPO_ROOT.parent / "shared" / "kcc-crds"


def kcc_crd_files() -> list[Path]:
    """The Config Connector CRD files, sorted; empty when the folder is absent."""
    folder = kcc_crds_dir()
    return sorted(folder.glob("*.yaml")) if folder.is_dir() else []


def install_kcc_crds(plane: ControlPlane, files: Iterable[Path]) -> list[str]:
    """Apply Config Connector's CRDs, wait until each is served, and return their names.

    ``--validate=false``: kubectl's client-side check rejects CEL rules
    (``x-kubernetes-validations``) for a server older than 1.25, which drops them itself.
    """
    names = []
    for path in files:
        plane.kubectl("apply", "--validate=false", "-f", str(path))
        names.append(yaml.safe_load(path.read_text())["metadata"]["name"])
    for name in names:
        plane.kubectl("wait", "--for=condition=Established", f"crd/{name}", "--timeout=60s")
    return names


def helm_with_values(
    plane: ControlPlane,
    verb: str,
    release: str,
    namespace: str,
    values: Mapping[str, Any],
    *flags: str,
    chart: Path = CHART_DIR,
) -> None:
    """``helm install|upgrade`` of ``chart`` with ``values`` written to a values file (so
    types survive, as in :func:`render`)."""
    path = plane.workdir / f"values-{secrets.token_hex(3)}.yaml"
    path.write_text(yaml.safe_dump(dict(values)))
    plane.helm(verb, release, str(chart), "--namespace", namespace, "--values", str(path), *flags)


def load_kcc_crds(folder: Path) -> dict[tuple[str, str], Manifest]:
    """Every CRD in ``folder`` keyed by (apiVersion, kind) of its first version."""
    crds: dict[tuple[str, str], Manifest] = {}
    for path in sorted(folder.glob("*.yaml")):
        crd = yaml.safe_load(path.read_text())
        if not crd or crd.get("kind") != "CustomResourceDefinition":
            continue
        spec = crd["spec"]
        version = spec["versions"][0]["name"]
        crds[(f"{spec['group']}/{version}", spec["names"]["kind"])] = crd
    return crds


def strict_schema(schema: Any) -> Any:
    """A copy of an OpenAPI v3 schema where objects listing properties reject unknown ones.

    The API server prunes unknown fields silently, so a typo in a rendered object would
    vanish instead of failing; injecting ``additionalProperties: false`` makes it an error.
    ``x-kubernetes-*`` keys are dropped (jsonschema does not know them).
    """
    if isinstance(schema, list):
        return [strict_schema(item) for item in schema]
    if not isinstance(schema, dict):
        return schema
    result: dict[str, Any] = {}
    for key, value in schema.items():
        if key.startswith("x-kubernetes-"):
            continue
        if key in ("properties", "patternProperties", "definitions"):
            # A map of names to schemas: the names are data, only the values are schemas.
            result[key] = {name: strict_schema(sub) for name, sub in value.items()}
        else:
            result[key] = strict_schema(value)
    if "properties" in schema and "additionalProperties" not in schema:
        result["additionalProperties"] = False
    return result
