"""Whether this machine can run the real node, and where its binaries are.

Looks only; installing is the job of scripts/install-control-plane.sh (the Kubernetes
binaries, built from Debian's source) and scripts/install-node.sh (Debian's container engine
and a root filesystem for the stand-in base image), both run by ``./dev test``.
"""

from __future__ import annotations

import os
import shutil
import sys
from dataclasses import dataclass
from pathlib import Path

from tests.support.sources import LocalBinaries, debian_build_dir
from tests.support.tools import cache_dir

PROGRAMS = ("containerd", "containerd-shim-runc-v2", "runc", "dockerd", "ctr", "ip", "iptables")
DOCKER_CLIENT = Path("/usr/bin/docker")
CNI_PLUGINS = Path("/usr/lib/cni")


class NodeUnavailable(Exception):
    """This machine cannot run the real node; the message says what is missing."""


@dataclass(frozen=True)
class NodeBinaries:
    """The server binaries of the node (all from the Debian build of 1.20.2)."""

    control_plane: LocalBinaries
    kubelet: Path
    kube_scheduler: Path
    kube_proxy: Path
    pause: Path


def find_node_binaries() -> NodeBinaries:
    """The node's binaries; raises NodeUnavailable saying what is missing and how to get it."""
    if not sys.platform.startswith("linux"):
        raise NodeUnavailable(f"the real node needs Linux (this is {sys.platform})")
    if os.geteuid() != 0:
        raise NodeUnavailable("the real node needs root (containerd, a kubelet, network setup)")
    folder = debian_build_dir()
    names = ("kube-apiserver", "kube-controller-manager", "kubelet", "kube-scheduler")
    wanted = {name: folder / name for name in (*names, "kube-proxy", "pause")}
    missing = [name for name, path in wanted.items() if not os.access(path, os.X_OK)]
    etcd = shutil.which("etcd")
    if etcd is None:
        missing.append("etcd")
    if missing:
        raise NodeUnavailable(
            f"{', '.join(missing)} not found in {folder}: run scripts/install-control-plane.sh"
        )
    absent = [p for p in PROGRAMS if shutil.which(p) is None]
    if not DOCKER_CLIENT.is_file():
        absent.append(str(DOCKER_CLIENT))
    if not (CNI_PLUGINS / "bridge").is_file():
        absent.append(f"{CNI_PLUGINS}/bridge")
    rootfs = cache_dir() / "node" / "debian-bookworm-minbase.tar"
    if not rootfs.is_file():
        absent.append(str(rootfs))
    if absent:
        raise NodeUnavailable(f"{', '.join(absent)} missing: run scripts/install-node.sh")
    return NodeBinaries(
        control_plane=LocalBinaries(
            origin=f"Debian build of Kubernetes 1.20.2 in {folder}",
            etcd=Path(etcd or "etcd"),
            kube_apiserver=wanted["kube-apiserver"],
            kube_controller_manager=wanted["kube-controller-manager"],
        ),
        kubelet=wanted["kubelet"],
        kube_scheduler=wanted["kube-scheduler"],
        kube_proxy=wanted["kube-proxy"],
        pause=wanted["pause"],
    )
