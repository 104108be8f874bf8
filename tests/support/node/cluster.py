"""``RealNode``: the whole one-node cluster, started and stopped in one place.

Order matters both ways. Start: the node's address, etcd, kube-apiserver on that address
(Node,RBAC authorization; kubelets reached by host name, since a loopback node IP is refused),
kube-controller-manager, kube-scheduler, containerd, dockerd (pause image), kubelet,
kube-proxy (iptables mode: the ``kubernetes`` Service reaches the API server from pods), then
wait for the node to be Ready. Stop: the controller manager first (nothing recreates pods),
every pod deleted at once so the kubelet tears its sandbox networks down through CNI, then
the daemons by pid, the kubelet's mounts, kube-proxy's rules, the bridge and the address.
"""

from __future__ import annotations

import contextlib
import fcntl
import os
import secrets
import shutil
import signal
import subprocess
import tempfile
import time
from pathlib import Path
from typing import IO, Any

from kubernetes import client
from kubernetes.client.exceptions import ApiException

from tests.support.controlplane import ControlPlane
from tests.support.kubeconfig import write_token_kubeconfig
from tests.support.local_cluster import (
    ADMIN_USER,
    DISABLED_CONTROLLERS,
    LocalCluster,
    make_signing_key,
    start_apiserver,
    start_controller_manager,
    start_etcd,
)
from tests.support.node import leftovers
from tests.support.node.engine import PAUSE_IMAGE, Containerd, Dockerd
from tests.support.node.images import BuiltImage, build_pause_image, build_project_image
from tests.support.node.network import (
    POD_CIDR,
    NodeInterface,
    remove_bridge,
)
from tests.support.node.prerequisites import NodeBinaries, find_node_binaries
from tests.support.processes import ManagedProcess, free_port, stop_all
from tests.support.tools import cache_dir, find_tools

WORKDIR_PREFIX = "eventgen-node-"
# One node at a time per machine: two kube-proxies would rewrite each other's iptables chains,
# and both nodes would want the same bridge and address. A second run waits for the first.
LOCK_PATH = Path(tempfile.gettempdir()) / "eventgen-node.lock"
LOCK_TIMEOUT = 3600.0
NODE_NAME = "localhost"
NODE_READY_TIMEOUT = 180.0
POD_DRAIN_TIMEOUT = 90.0
STOP_GRACE = 5.0


def _take_machine_lock() -> IO[bytes]:
    """Hold the machine's node lock (an flock, released when the file closes or we die)."""
    handle = LOCK_PATH.open("ab")
    deadline = time.monotonic() + LOCK_TIMEOUT
    while True:
        try:
            fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
            return handle
        except BlockingIOError:
            if time.monotonic() > deadline:
                handle.close()
                waited = f"another real node held {LOCK_PATH} for {LOCK_TIMEOUT:g} s"
                raise TimeoutError(waited) from None
            time.sleep(2)


class RealNode:
    """A running one-node cluster; ``plane`` drives it like any control plane in the tests."""

    def __init__(self, binaries: NodeBinaries, workdir: Path) -> None:
        self.binaries = binaries
        self.workdir = workdir
        self.netns_before = leftovers.network_namespaces()
        self.interface: NodeInterface | None = None
        self.processes: list[ManagedProcess] = []  # stopped in reverse order
        self.containerd: Containerd | None = None
        self.dockerd: Dockerd | None = None
        self.plane: ControlPlane | None = None
        self.image: BuiltImage | None = None
        self.timings: dict[str, float] = {}
        self.admin_token = ""
        self._lock: IO[bytes] | None = None

    # -- life cycle ---------------------------------------------------------------------

    @classmethod
    def start(cls) -> RealNode:
        """Start every piece and wait for the node to be Ready; stop what started on failure.

        Raises ``prerequisites.NodeUnavailable`` (the tests skip or, in CI, fail) when this
        machine cannot run a node.
        """
        binaries = find_node_binaries()
        lock = _take_machine_lock()
        workdir = Path(tempfile.mkdtemp(prefix=WORKDIR_PREFIX))
        node = cls(binaries, workdir)
        node._lock = lock
        try:
            node._start()
        except BaseException:
            node.stop()
            raise
        return node

    def _start(self) -> None:
        began = time.monotonic()
        self.interface = NodeInterface.create()
        address = self.interface.address
        control = self.workdir / "control"
        control.mkdir()
        token = self.admin_token = secrets.token_hex(16)
        make_signing_key(control / "sa.key")
        etcd, etcd_port = start_etcd(self.binaries.control_plane, control)
        self.processes.append(etcd)
        apiserver, endpoint = start_apiserver(
            self.binaries.control_plane,
            control,
            etcd_port,
            token,
            address=address,
            extra_args=(
                "--authorization-mode=Node,RBAC",
                "--kubelet-preferred-address-types=Hostname,InternalIP",
            ),
        )
        self.processes.append(apiserver)
        kubeconfig = write_token_kubeconfig(
            control / "admin.kubeconfig", endpoint, ADMIN_USER, token
        )
        manager = self.binaries.control_plane.kube_controller_manager
        assert manager is not None
        # With a node, the node lifecycle controller runs: it lifts the node's not-ready taint.
        node_controllers = tuple(c for c in DISABLED_CONTROLLERS if c != "nodelifecycle")
        self.processes.append(
            start_controller_manager(manager, control, kubeconfig, node_controllers)
        )
        self.processes.append(self._start_scheduler(kubeconfig))
        self.timings["control plane"] = time.monotonic() - began

        self.containerd = Containerd(self.workdir / "containerd")
        self.processes.append(self.containerd.process)
        self.dockerd = Dockerd(self.workdir / "docker", self.containerd)
        self.processes.append(self.dockerd.process)
        build_pause_image(self.dockerd, self.containerd, self.binaries.pause)
        self.processes.append(self._start_kubelet(kubeconfig))
        self.processes.append(self._start_kube_proxy(kubeconfig))
        local = LocalCluster(control, endpoint, token, kubeconfig, True, [])
        self.plane = ControlPlane(
            description=f"real one-node cluster (Kubernetes 1.20.2, Debian build) at {address}",
            admin_kubeconfig=kubeconfig,
            endpoint=endpoint,
            has_controller_manager=True,
            workdir=self.workdir / "plane",
            tools=find_tools(),
            local=local,
        )
        (self.workdir / "plane").mkdir()
        self._wait_node_ready()
        self.timings["node ready"] = time.monotonic() - began

    def build_image(self) -> BuiltImage:
        """Build the project's image from its Dockerfile and load it into the node (once)."""
        if self.image is None:
            assert self.dockerd is not None and self.containerd is not None
            began = time.monotonic()
            self.image = build_project_image(self.dockerd, self.containerd, cache_dir() / "node")
            self.timings["image build"] = time.monotonic() - began
        return self.image

    def stop(self) -> list[str]:
        """Stop everything and clean up; returns what was left behind (empty when clean)."""
        self._drain_pods()
        kubelet_root = self.workdir / "kubelet"
        stop_all(list(reversed(self.processes)), STOP_GRACE)
        self.processes.clear()
        if self.containerd is not None:
            # Shims outlive containerd: end them by the socket path on their command line.
            for pid, _ in leftovers.processes_mentioning(str(self.containerd.socket)):
                with contextlib.suppress(ProcessLookupError):
                    os.kill(pid, signal.SIGKILL)
        leftovers.unmount_all(kubelet_root)
        leftovers.unmount_all(self.workdir)
        for name in leftovers.network_namespaces() - self.netns_before:
            path = Path("/run/netns") / name
            subprocess.run(["umount", str(path)], capture_output=True, timeout=30, check=False)
            with contextlib.suppress(OSError):
                path.unlink()
        self._cleanup_kube_proxy_rules()
        remove_bridge()
        if self.interface is not None:
            self.interface.remove()
        time.sleep(0.5)  # killed processes leave /proc a moment later
        shutil.rmtree(self.workdir, ignore_errors=True)
        left = leftovers.leftovers(self.workdir, self.netns_before)
        if self._lock is not None:
            self._lock.close()  # releases the machine for the next node
            self._lock = None
        return left

    # -- pieces ---------------------------------------------------------------------------

    def _start_scheduler(self, kubeconfig: Path) -> ManagedProcess:
        folder = self.workdir / "scheduler"
        folder.mkdir()
        argv = [
            str(self.binaries.kube_scheduler),
            f"--kubeconfig={kubeconfig}",
            "--leader-elect=false",
            "--bind-address=127.0.0.1",
            f"--secure-port={free_port()}",
            "--port=0",
        ]
        return ManagedProcess("kube-scheduler", argv, folder / "kube-scheduler.log")

    def _start_kubelet(self, kubeconfig: Path) -> ManagedProcess:
        assert self.containerd is not None
        root = self.workdir / "kubelet"
        root.mkdir()
        argv = [
            str(self.binaries.kubelet),
            f"--kubeconfig={kubeconfig}",
            f"--root-dir={root}",
            "--container-runtime=remote",
            f"--container-runtime-endpoint=unix://{self.containerd.socket}",
            "--cgroup-driver=cgroupfs",
            "--fail-swap-on=false",
            f"--hostname-override={NODE_NAME}",
            "--address=127.0.0.1",
            f"--port={free_port()}",
            f"--pod-infra-container-image={PAUSE_IMAGE}",
            "--anonymous-auth=true",
            "--authorization-mode=AlwaysAllow",
            "--read-only-port=0",
            "--healthz-port=0",
            "--image-gc-high-threshold=100",
            "--eviction-hard=",
            f"--cert-dir={root / 'pki'}",
        ]
        return ManagedProcess("kubelet", argv, self.workdir / "kubelet.log")

    def _start_kube_proxy(self, kubeconfig: Path) -> ManagedProcess:
        argv = [
            str(self.binaries.kube_proxy),
            f"--kubeconfig={kubeconfig}",
            f"--hostname-override={NODE_NAME}",
            f"--cluster-cidr={POD_CIDR}",
            "--proxy-mode=iptables",
            f"--healthz-bind-address=127.0.0.1:{free_port()}",
            f"--metrics-bind-address=127.0.0.1:{free_port()}",
            "--conntrack-max-per-core=0",
        ]
        return ManagedProcess("kube-proxy", argv, self.workdir / "kube-proxy.log")

    def _cleanup_kube_proxy_rules(self) -> None:
        # Exits 1 without the ipset binary (scripts/install-node.sh installs it); the
        # iptables chains go either way.
        subprocess.run(
            [str(self.binaries.kube_proxy), "--cleanup"],
            capture_output=True,
            timeout=60,
            check=False,
        )

    def _wait_node_ready(self) -> None:
        assert self.plane is not None
        plane = self.plane

        def ready() -> bool:
            with plane.api_client() as api:
                try:
                    node: Any = client.CoreV1Api(api).read_node(NODE_NAME)
                except ApiException:
                    return False
            conditions = node.status.conditions or []
            return any(c.type == "Ready" and c.status == "True" for c in conditions)

        deadline = time.monotonic() + NODE_READY_TIMEOUT
        while not ready():
            for process in self.processes:
                if not process.running():
                    raise RuntimeError(f"{process.name} exited:\n{process.log_tail(30)}")
            if time.monotonic() > deadline:
                raise TimeoutError(f"node not Ready in {NODE_READY_TIMEOUT:g} s")
            time.sleep(0.5)

    def _drain_pods(self) -> None:
        """Delete every pod at once (grace 0) and wait until containerd runs none of them, so
        the kubelet releases their networks and mounts before it stops."""
        if self.plane is None or self.containerd is None:
            return
        manager = next((p for p in self.processes if p.name == "kube-controller-manager"), None)
        if manager is not None:
            manager.stop(STOP_GRACE)  # nothing may recreate the pods deleted below
            self.processes.remove(manager)
        try:
            with self.plane.api_client() as api:
                core: Any = client.CoreV1Api(api)
                for pod in core.list_pod_for_all_namespaces().items:
                    with contextlib.suppress(ApiException):
                        core.delete_namespaced_pod(
                            pod.metadata.name, pod.metadata.namespace, grace_period_seconds=0
                        )
        except Exception:  # the API server may be the piece that failed; clean up anyway
            pass
        deadline = time.monotonic() + POD_DRAIN_TIMEOUT
        while time.monotonic() < deadline:
            try:
                if not self.containerd.running_tasks():
                    return
            except RuntimeError:
                return
            time.sleep(0.5)
        self.containerd.kill_everything()
