"""Writing and reading kubeconfig files (token authentication only)."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml


@dataclass(frozen=True)
class ClusterEndpoint:
    """How to reach an API server: its URL and how to trust its certificate."""

    server: str
    ca_file: Path | None = None
    ca_data: str | None = None  # base64 PEM, as kubeconfigs carry it
    insecure: bool = False


def write_token_kubeconfig(
    path: Path, endpoint: ClusterEndpoint, user: str, token: str, namespace: str = "default"
) -> Path:
    """Write a one-context kubeconfig authenticating as ``user`` with a bearer ``token``."""
    cluster: dict[str, Any] = {"server": endpoint.server}
    if endpoint.ca_file is not None:
        cluster["certificate-authority"] = str(endpoint.ca_file)
    elif endpoint.ca_data is not None:
        cluster["certificate-authority-data"] = endpoint.ca_data
    elif endpoint.insecure:
        cluster["insecure-skip-tls-verify"] = True
    config = {
        "apiVersion": "v1",
        "kind": "Config",
        "clusters": [{"name": "test", "cluster": cluster}],
        "users": [{"name": user, "user": {"token": token}}],
        "contexts": [
            {"name": "test", "context": {"cluster": "test", "user": user, "namespace": namespace}}
        ],
        "current-context": "test",
    }
    path.write_text(yaml.safe_dump(config, sort_keys=False))
    path.chmod(0o600)  # it holds a credential
    return path


def read_endpoint(path: Path) -> ClusterEndpoint:
    """The current context's cluster in an existing kubeconfig (for an external cluster)."""
    config = yaml.safe_load(path.read_text())
    current = config.get("current-context")
    contexts = {c["name"]: c["context"] for c in config.get("contexts", [])}
    if current not in contexts:
        raise ValueError(f"{path}: current-context {current!r} is not among its contexts")
    cluster_name = contexts[current]["cluster"]
    clusters = {c["name"]: c["cluster"] for c in config.get("clusters", [])}
    cluster = clusters[cluster_name]
    ca_file = cluster.get("certificate-authority")
    if ca_file is not None and not Path(ca_file).is_absolute():
        ca_file = path.parent / ca_file  # relative paths are relative to the kubeconfig
    return ClusterEndpoint(
        server=cluster["server"],
        ca_file=Path(ca_file) if ca_file is not None else None,
        ca_data=cluster.get("certificate-authority-data"),
        insecure=bool(cluster.get("insecure-skip-tls-verify", False)),
    )
