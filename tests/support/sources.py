"""Where a control plane for the tests comes from, in order of preference.

1. ``EVENTGEN_TEST_KUBECONFIG``: an existing cluster (kind, GKE, ...); nothing is started.
2. ``KUBEBUILDER_ASSETS``: etcd and kube-apiserver from controller-runtime's setup-envtest
   (a kube-controller-manager there is used too, but envtest ships none).
3. The Debian build of kube-apiserver + kube-controller-manager 1.20.2 that
   scripts/install-control-plane.sh puts in the cache folder, with Debian's etcd.
Only looks: building is the install script's job (``./dev test`` runs it).
"""

from __future__ import annotations

import os
import shutil
from dataclasses import dataclass
from pathlib import Path

from tests.support.tools import cache_dir

DEBIAN_BUILD_VERSION = "1.20.2"


class ControlPlaneUnavailable(Exception):
    """No source of a control plane exists on this machine; the message says how to get one."""


@dataclass(frozen=True)
class ExternalCluster:
    """An existing cluster reached through an admin kubeconfig."""

    kubeconfig: Path

    def describe(self) -> str:
        """Where it came from, for messages."""
        return f"existing cluster from EVENTGEN_TEST_KUBECONFIG={self.kubeconfig}"


@dataclass(frozen=True)
class LocalBinaries:
    """Server binaries the harness starts itself; no controller manager means no GC."""

    origin: str
    etcd: Path
    kube_apiserver: Path
    kube_controller_manager: Path | None

    def describe(self) -> str:
        """Where the binaries came from, for messages."""
        return self.origin


def debian_build_dir() -> Path:
    """The folder scripts/install-control-plane.sh fills."""
    return cache_dir() / f"k8s-{DEBIAN_BUILD_VERSION}" / "bin"


def _executable(path: Path) -> bool:
    return path.is_file() and os.access(path, os.X_OK)


def _from_kubebuilder_assets(folder: Path) -> LocalBinaries:
    etcd, apiserver = folder / "etcd", folder / "kube-apiserver"
    missing = [p.name for p in (etcd, apiserver) if not _executable(p)]
    if missing:
        raise ControlPlaneUnavailable(
            f"KUBEBUILDER_ASSETS={folder} lacks {', '.join(missing)} (it needs etcd and "
            "kube-apiserver, as setup-envtest installs them)"
        )
    manager = folder / "kube-controller-manager"
    return LocalBinaries(
        origin=f"KUBEBUILDER_ASSETS={folder}",
        etcd=etcd,
        kube_apiserver=apiserver,
        kube_controller_manager=manager if _executable(manager) else None,
    )


def _from_debian_build() -> LocalBinaries | None:
    folder = debian_build_dir()
    apiserver, manager = folder / "kube-apiserver", folder / "kube-controller-manager"
    etcd = shutil.which("etcd")
    if etcd is None or not (_executable(apiserver) and _executable(manager)):
        return None
    return LocalBinaries(
        origin=f"Debian build of Kubernetes {DEBIAN_BUILD_VERSION} in {folder}",
        etcd=Path(etcd),
        kube_apiserver=apiserver,
        kube_controller_manager=manager,
    )


def find_source() -> ExternalCluster | LocalBinaries:
    """The preferred available source; raises ControlPlaneUnavailable saying what to set."""
    kubeconfig = os.environ.get("EVENTGEN_TEST_KUBECONFIG")
    if kubeconfig:
        path = Path(kubeconfig).expanduser()
        if not path.is_file():
            raise ControlPlaneUnavailable(
                f"EVENTGEN_TEST_KUBECONFIG={kubeconfig} is set but is not a file"
            )
        return ExternalCluster(kubeconfig=path.resolve())
    assets = os.environ.get("KUBEBUILDER_ASSETS")
    if assets:
        return _from_kubebuilder_assets(Path(assets).expanduser().resolve())
    debian = _from_debian_build()
    if debian is not None:
        return debian
    raise ControlPlaneUnavailable(
        "no Kubernetes control plane available: set EVENTGEN_TEST_KUBECONFIG (an existing "
        "cluster) or KUBEBUILDER_ASSETS (etcd + kube-apiserver), or run "
        f"scripts/install-control-plane.sh to build one into {debian_build_dir()} "
        "(EVENTGEN_CACHE; needs etcd on PATH)"
    )
