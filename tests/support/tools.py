"""Where the helm and kubectl binaries are (put there by scripts/install-tools.sh)."""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path


def cache_dir() -> Path:
    """The per-machine cache folder shared with the install scripts (``EVENTGEN_CACHE``)."""
    configured = os.environ.get("EVENTGEN_CACHE")
    return Path(configured) if configured else Path.home() / ".cache" / "ecommerce-platform"


@dataclass(frozen=True)
class Tools:
    """Absolute paths of the helm (v4) and kubectl (v1.35) binaries."""

    helm: Path
    kubectl: Path


def tools_dir() -> Path:
    """The folder scripts/install-tools.sh installs into."""
    return cache_dir() / "tools" / "bin"


def find_tools() -> Tools | None:
    """The installed tools, or ``None`` when either binary is missing or not executable."""
    folder = tools_dir()
    helm, kubectl = folder / "helm", folder / "kubectl"
    if all(os.access(path, os.X_OK) for path in (helm, kubectl)):
        return Tools(helm=helm, kubectl=kubectl)
    return None


def missing_tools_reason() -> str:
    """One line telling a user why the tools are absent and how to get them."""
    return (
        f"helm/kubectl not found in {tools_dir()} (EVENTGEN_CACHE); "
        "run scripts/install-tools.sh (./dev test does)"
    )
