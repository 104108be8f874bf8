"""Network pieces of the node that live outside its folder: the node's address and the bridge.

Pods reach the API server through the ``kubernetes`` Service, whose endpoint is the API
server's advertise address: it cannot be 127.0.0.1 (a pod's own loopback). So each run adds an
interface holding an address of its own (a port-less bridge: this machine's kernel has no
``dummy`` link type), binds the API server (and the local Pub/Sub
server) to it, and removes the interface at the end. The interface's name carries the pid of
the test process, so a later run can remove what a crashed one left.
"""

from __future__ import annotations

import os
import re
import subprocess
from dataclasses import dataclass

INTERFACE_PREFIX = "egnode"
BRIDGE_NAME = "egcni0"
# Outside the pod range (10.88.0.0/16) and the service range (10.96.0.0/12).
NODE_ADDRESS = "10.87.254.1"
POD_CIDR = "10.88.0.0/16"
SERVICE_CIDR = "10.96.0.0/12"


def run_ip(*args: str, check: bool = True) -> subprocess.CompletedProcess[str]:
    """Run ``ip ARGS``; with ``check`` a failure raises RuntimeError with ip's message."""
    done = subprocess.run(["ip", *args], capture_output=True, text=True, timeout=30, check=False)
    if check and done.returncode != 0:
        raise RuntimeError(f"ip {' '.join(args)}: {done.stderr.strip()}")
    return done


def interface_names() -> list[str]:
    """Names of every network interface of this machine (the host's namespace)."""
    return sorted(os.listdir("/sys/class/net"))


@dataclass
class NodeInterface:
    """An interface with the node's address; ``remove()`` deletes it (idempotent)."""

    name: str
    address: str

    @classmethod
    def create(cls, address: str = NODE_ADDRESS) -> NodeInterface:
        remove_stale_interfaces()
        name = f"{INTERFACE_PREFIX}{os.getpid()}"
        run_ip("link", "add", name, "type", "bridge")
        interface = cls(name, address)
        try:
            run_ip("addr", "add", f"{address}/32", "dev", name)
            run_ip("link", "set", name, "up")
        except BaseException:
            interface.remove()
            raise
        return interface

    def remove(self) -> None:
        if self.name in interface_names():
            run_ip("link", "del", self.name, check=False)


def remove_bridge() -> None:
    """Delete the CNI bridge the node's pods were plugged into (it outlives the pods)."""
    if BRIDGE_NAME in interface_names():
        run_ip("link", "del", BRIDGE_NAME, check=False)


def remove_stale_interfaces() -> None:
    """Delete node interfaces whose test process is gone (a crashed run), and then the bridge."""
    stale = False
    for name in interface_names():
        match = re.fullmatch(rf"{INTERFACE_PREFIX}(\d+)", name)
        if match and not os.path.exists(f"/proc/{match.group(1)}"):
            run_ip("link", "del", name, check=False)
            stale = True
    if stale or not any(n.startswith(INTERFACE_PREFIX) for n in interface_names()):
        remove_bridge()
