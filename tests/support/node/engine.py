"""containerd (the kubelet's runtime) and dockerd (which builds images), each in the run's folder.

Both come from Debian's packages (containerd 1.6, runc 1.1, docker.io 20.10) and are started
by hand: there is no systemd here. Traps handled (see /work/shared/real-node.md):
``restrict_oom_score_adj = true`` (without CAP_SYS_RESOURCE every sandbox fails with
"can't get final child's PID from pipe: EOF"), the pause image built locally under the name the
kubelet asks for, and dockerd without a bridge or iptables rules of its own (builds use the
host's network), so it leaves nothing behind.
"""

from __future__ import annotations

import contextlib
import json
import os
import subprocess
import time
from pathlib import Path
from typing import IO

from tests.support.node.network import BRIDGE_NAME, POD_CIDR
from tests.support.processes import ManagedProcess

PAUSE_IMAGE = "k8s.gcr.io/pause:3.2"
CNI_BIN_DIR = "/usr/lib/cni"
# Debian's docker client; another `docker` on PATH may lack the legacy builder.
DOCKER_CLIENT = "/usr/bin/docker"
SOCKET_TIMEOUT = 60.0


def _wait_for_socket(process: ManagedProcess, socket: Path, timeout: float) -> None:
    deadline = time.monotonic() + timeout
    while not socket.exists():
        if not process.running():
            raise RuntimeError(f"{process.name} exited early:\n{process.log_tail()}")
        if time.monotonic() > deadline:
            raise TimeoutError(f"{process.name} made no socket {socket} in {timeout:g} s")
        time.sleep(0.1)


def containerd_config(folder: Path, cni_conf_dir: Path) -> str:
    """containerd's default configuration with every path in ``folder`` and the node's CNI."""
    default = subprocess.run(
        ["containerd", "config", "default"], capture_output=True, text=True, timeout=30, check=True
    ).stdout
    replacements = {
        'root = "/var/lib/containerd"': f'root = "{folder}/root"',
        'state = "/run/containerd"': f'state = "{folder}/state"',
        'address = "/run/containerd/containerd.sock"': f'address = "{folder}/containerd.sock"',
        "restrict_oom_score_adj = false": "restrict_oom_score_adj = true",
        'sandbox_image = "registry.k8s.io/pause:3.6"': f'sandbox_image = "{PAUSE_IMAGE}"',
        'bin_dir = "/opt/cni/bin"': f'bin_dir = "{CNI_BIN_DIR}"',
        'conf_dir = "/etc/cni/net.d"': f'conf_dir = "{cni_conf_dir}"',
    }
    for old, new in replacements.items():
        if old not in default:
            raise RuntimeError(f"containerd's default configuration has no line {old!r}")
        default = default.replace(old, new, 1)
    return default


def cni_conflist(ipam_dir: Path) -> dict[str, object]:
    """A bridge network for pods; host-local keeps its leases in the run's folder."""
    return {
        "cniVersion": "0.4.0",
        "name": "eventgen-node",
        "plugins": [
            {
                "type": "bridge",
                "bridge": BRIDGE_NAME,
                "isGateway": True,
                "ipMasq": True,
                "hairpinMode": True,
                "ipam": {
                    "type": "host-local",
                    "dataDir": str(ipam_dir),
                    "ranges": [[{"subnet": POD_CIDR}]],
                    "routes": [{"dst": "0.0.0.0/0"}],
                },
            },
            {"type": "portmap", "capabilities": {"portMappings": True}},
        ],
    }


class Containerd:
    """A containerd serving CRI to the kubelet, with its state under ``folder``."""

    def __init__(self, folder: Path) -> None:
        folder.mkdir(parents=True)
        self.folder = folder
        cni_conf_dir = folder / "cni" / "net.d"
        cni_conf_dir.mkdir(parents=True)
        (cni_conf_dir / "10-eventgen-node.conflist").write_text(
            json.dumps(cni_conflist(folder / "cni" / "ipam"), indent=2)
        )
        config = folder / "config.toml"
        config.write_text(containerd_config(folder, cni_conf_dir))
        self.socket = folder / "containerd.sock"
        self.process = ManagedProcess(
            "containerd", ["containerd", "--config", str(config)], folder / "containerd.log"
        )
        _wait_for_socket(self.process, self.socket, SOCKET_TIMEOUT)

    def ctr(self, *args: str, stdin: IO[bytes] | None = None, namespace: str = "k8s.io") -> bytes:
        """Run ``ctr`` against this containerd; raises RuntimeError with its message."""
        done = subprocess.run(
            ["ctr", "-a", str(self.socket), "-n", namespace, *args],
            stdin=stdin,
            capture_output=True,
            timeout=600,
            check=False,
        )
        if done.returncode != 0:
            raise RuntimeError(f"ctr {' '.join(args)}: {done.stderr.decode(errors='replace')}")
        return done.stdout

    def import_image(self, archive: Path) -> None:
        """Import a ``docker save`` archive into the kubelet's namespace (k8s.io)."""
        with archive.open("rb") as data:
            self.ctr("images", "import", "-", stdin=data)

    def running_tasks(self, namespace: str = "k8s.io") -> list[str]:
        """Ids of the containers with a task (a running or stopped process) in ``namespace``."""
        return self.ctr("tasks", "ls", "-q", namespace=namespace).decode().split()

    def kill_everything(self) -> None:
        """SIGKILL and delete every task and container it runs (the kubelet is gone by now)."""
        for namespace in ("k8s.io", "moby"):
            try:
                tasks = self.running_tasks(namespace)
            except RuntimeError:
                continue
            for task in tasks:
                for args in (("tasks", "kill", "-s", "SIGKILL", task), ("tasks", "rm", "-f", task)):
                    with contextlib.suppress(RuntimeError):
                        self.ctr(*args, namespace=namespace)


class Dockerd:
    """A dockerd using the node's containerd, without a bridge: image builds only."""

    def __init__(self, folder: Path, containerd: Containerd) -> None:
        folder.mkdir(parents=True)
        self.folder = folder
        self.socket = folder / "docker.sock"
        argv = [
            "dockerd",
            f"--data-root={folder / 'data'}",
            f"--exec-root={folder / 'exec'}",
            f"--host=unix://{self.socket}",
            f"--pidfile={folder / 'docker.pid'}",
            f"--containerd={containerd.socket}",
            "--bridge=none",
            "--iptables=false",
            "--ip-masq=false",
        ]
        self.process = ManagedProcess("dockerd", argv, folder / "dockerd.log")
        _wait_for_socket(self.process, self.socket, SOCKET_TIMEOUT)
        deadline = time.monotonic() + SOCKET_TIMEOUT
        while self.docker("info", check=False).returncode != 0:
            if time.monotonic() > deadline:
                raise TimeoutError(f"dockerd did not answer:\n{self.process.log_tail()}")
            time.sleep(0.2)

    def environment(self) -> dict[str, str]:
        """The environment for Debian's docker client: this daemon, the legacy builder."""
        return {**os.environ, "DOCKER_HOST": f"unix://{self.socket}", "DOCKER_BUILDKIT": "0"}

    def docker(
        self, *args: str, check: bool = True, timeout: float = 1200, input: bytes | None = None
    ) -> subprocess.CompletedProcess[bytes]:
        """Run Debian's docker client against this daemon; raises RuntimeError on failure."""
        done = subprocess.run(
            [DOCKER_CLIENT, *args],
            env=self.environment(),
            input=input,
            capture_output=True,
            timeout=timeout,
            check=False,
        )
        if check and done.returncode != 0:
            output = (done.stdout + done.stderr).decode(errors="replace")[-4000:]
            raise RuntimeError(f"docker {' '.join(args[:3])}… exited {done.returncode}:\n{output}")
        return done
