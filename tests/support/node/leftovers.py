"""What a stopped node must not leave behind: processes, mounts, interfaces, network namespaces.

Checked after every run (the ``real_node`` fixture fails its teardown otherwise), because a
node that leaks a mount or a shim per run fills the machine that CI and developers share.
"""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

from tests.support.node.network import BRIDGE_NAME, INTERFACE_PREFIX, interface_names


def mounts_under(folder: Path) -> list[str]:
    """Mount points at or below ``folder`` (from /proc/self/mountinfo), deepest first."""
    prefix = str(folder.resolve())
    points = []
    with open("/proc/self/mountinfo", encoding="utf-8") as mountinfo:
        for line in mountinfo:
            point = line.split()[4].encode().decode("unicode_escape")
            if point == prefix or point.startswith(prefix + "/"):
                points.append(point)
    return sorted(points, key=lambda p: p.count("/"), reverse=True)


def unmount_all(folder: Path) -> None:
    """Unmount everything below ``folder``; the kubelet bind-mounts its root dir on itself,
    so a point may need several rounds."""
    for _ in range(10):
        points = mounts_under(folder)
        if not points:
            return
        for point in points:
            subprocess.run(["umount", point], capture_output=True, timeout=30, check=False)
    for point in mounts_under(folder):  # last resort: detach what is still busy
        subprocess.run(["umount", "-l", point], capture_output=True, timeout=30, check=False)


def processes_mentioning(text: str) -> list[tuple[int, str]]:
    """(pid, command line) of every process whose command line contains ``text``."""
    found = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit() or int(entry.name) == os.getpid():
            continue
        try:
            argv = (entry / "cmdline").read_bytes().replace(b"\0", b" ").decode(errors="replace")
        except OSError:
            continue
        if text in argv:
            found.append((int(entry.name), argv.strip()))
    return found


def network_namespaces() -> set[str]:
    """Names of the network namespaces in /run/netns (containerd puts pods' there)."""
    folder = Path("/run/netns")
    return {p.name for p in folder.iterdir()} if folder.is_dir() else set()


def leftovers(workdir: Path, namespaces_before: set[str]) -> list[str]:
    """Everything the run at ``workdir`` left: one line each, empty when clean."""
    found = [f"process {pid}: {argv[:160]}" for pid, argv in processes_mentioning(str(workdir))]
    found += [f"mount {point}" for point in mounts_under(workdir)]
    found += [
        f"interface {name}"
        for name in interface_names()
        if name == BRIDGE_NAME or name == f"{INTERFACE_PREFIX}{os.getpid()}"
    ]
    found += [f"network namespace {n}" for n in sorted(network_namespaces() - namespaces_before)]
    if workdir.exists():
        found.append(f"folder {workdir}")
    return found
