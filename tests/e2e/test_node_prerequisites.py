"""Where the real node cannot run, the suite says why (and CI fails instead of skipping)."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.support.node.prerequisites import NodeUnavailable, find_node_binaries


def test_not_root_is_named_as_the_reason(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr("os.geteuid", lambda: 1000)
    with pytest.raises(NodeUnavailable, match="needs root"):
        find_node_binaries()


def test_missing_binaries_name_the_script_that_builds_them(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.setattr("os.geteuid", lambda: 0)
    monkeypatch.setenv("EVENTGEN_CACHE", str(tmp_path))
    with pytest.raises(NodeUnavailable) as raised:
        find_node_binaries()
    message = str(raised.value)
    assert "kubelet" in message and "scripts/install-control-plane.sh" in message


def test_a_missing_root_filesystem_names_the_node_installer(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.setattr("os.geteuid", lambda: 0)
    folder = tmp_path / "k8s-1.20.2" / "bin"
    folder.mkdir(parents=True)
    for name in ("kube-apiserver", "kube-controller-manager", "kubelet", "kube-scheduler",
                 "kube-proxy", "pause"):  # fmt: skip
        (folder / name).write_text("#!/bin/sh\n")
        (folder / name).chmod(0o755)
    monkeypatch.setenv("EVENTGEN_CACHE", str(tmp_path))
    monkeypatch.setattr("shutil.which", lambda name: f"/usr/bin/{name}")
    with pytest.raises(NodeUnavailable, match=r"scripts/install-node\.sh"):
        find_node_binaries()
