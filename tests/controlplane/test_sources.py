"""Choosing a control plane and finding tools: what a user without one is told (no servers)."""

from __future__ import annotations

import os
import stat
from pathlib import Path

import pytest

from tests.support.kubeconfig import ClusterEndpoint, read_endpoint, write_token_kubeconfig
from tests.support.sources import (
    ControlPlaneUnavailable,
    ExternalCluster,
    LocalBinaries,
    find_source,
)
from tests.support.tools import find_tools, missing_tools_reason
from tests.support.waiting import wait_for


@pytest.fixture
def bare_machine(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """No env vars, an empty cache folder, and no etcd on PATH."""
    for name in ("EVENTGEN_TEST_KUBECONFIG", "KUBEBUILDER_ASSETS"):
        monkeypatch.delenv(name, raising=False)
    cache = tmp_path / "cache"
    monkeypatch.setenv("EVENTGEN_CACHE", str(cache))
    monkeypatch.setenv("PATH", str(tmp_path / "empty-path"))
    return cache


def _executable(path: Path) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text("#!/bin/sh\n")
    path.chmod(path.stat().st_mode | stat.S_IXUSR)
    return path


def test_without_any_source_the_reason_names_every_way_to_get_one(bare_machine: Path) -> None:
    with pytest.raises(ControlPlaneUnavailable) as unavailable:
        find_source()
    message = str(unavailable.value)
    for hint in ("EVENTGEN_TEST_KUBECONFIG", "KUBEBUILDER_ASSETS", "install-control-plane.sh"):
        assert hint in message
    assert str(bare_machine) in message


def test_an_existing_cluster_wins_over_local_binaries(
    bare_machine: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    kubeconfig = tmp_path / "kind.yaml"
    kubeconfig.write_text("apiVersion: v1\nkind: Config\n")
    assets = tmp_path / "assets"
    _executable(assets / "etcd")
    _executable(assets / "kube-apiserver")
    monkeypatch.setenv("EVENTGEN_TEST_KUBECONFIG", str(kubeconfig))
    monkeypatch.setenv("KUBEBUILDER_ASSETS", str(assets))
    assert find_source() == ExternalCluster(kubeconfig=kubeconfig.resolve())


def test_a_missing_explicit_kubeconfig_is_reported_not_ignored(
    bare_machine: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("EVENTGEN_TEST_KUBECONFIG", str(tmp_path / "nowhere.yaml"))
    with pytest.raises(ControlPlaneUnavailable, match=r"nowhere\.yaml is set but is not a file"):
        find_source()


def test_kubebuilder_assets_lacking_the_api_server_says_what_is_missing(
    bare_machine: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    assets = tmp_path / "assets"
    _executable(assets / "etcd")
    monkeypatch.setenv("KUBEBUILDER_ASSETS", str(assets))
    with pytest.raises(ControlPlaneUnavailable, match="lacks kube-apiserver"):
        find_source()


def test_kubebuilder_assets_use_a_controller_manager_only_when_present(
    bare_machine: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    assets = tmp_path / "assets"
    _executable(assets / "etcd")
    _executable(assets / "kube-apiserver")
    monkeypatch.setenv("KUBEBUILDER_ASSETS", str(assets))
    without = find_source()
    assert isinstance(without, LocalBinaries) and without.kube_controller_manager is None
    _executable(assets / "kube-controller-manager")
    with_manager = find_source()
    assert isinstance(with_manager, LocalBinaries)
    assert with_manager.kube_controller_manager == assets.resolve() / "kube-controller-manager"


def test_the_debian_build_needs_etcd_on_path(
    bare_machine: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    build = bare_machine / "k8s-1.20.2" / "bin"
    _executable(build / "kube-apiserver")
    _executable(build / "kube-controller-manager")
    with pytest.raises(ControlPlaneUnavailable):
        find_source()
    etcd = _executable(tmp_path / "debian-bin" / "etcd")
    monkeypatch.setenv("PATH", str(etcd.parent))
    found = find_source()
    assert isinstance(found, LocalBinaries)
    assert (found.etcd, found.kube_apiserver) == (etcd, build / "kube-apiserver")
    assert found.kube_controller_manager == build / "kube-controller-manager"


def test_tools_are_found_only_when_both_binaries_are_installed(bare_machine: Path) -> None:
    assert find_tools() is None
    assert "scripts/install-tools.sh" in missing_tools_reason()
    _executable(bare_machine / "tools" / "bin" / "helm")
    assert find_tools() is None
    kubectl = _executable(bare_machine / "tools" / "bin" / "kubectl")
    found = find_tools()
    assert found is not None and found.kubectl == kubectl


def test_a_written_kubeconfig_reads_back_with_ca_paths_relative_to_it(tmp_path: Path) -> None:
    (tmp_path / "ca.crt").write_text("not checked here")
    endpoint = ClusterEndpoint(server="https://127.0.0.1:6443", ca_file=Path("ca.crt"))
    path = write_token_kubeconfig(tmp_path / "sa.yaml", endpoint, "someone", "s3cret")
    assert stat.S_IMODE(os.stat(path).st_mode) == 0o600, "a kubeconfig with a token is private"
    read = read_endpoint(path)
    assert read.server == "https://127.0.0.1:6443"
    assert read.ca_file == tmp_path / "ca.crt"


def test_wait_for_returns_the_first_truthy_value() -> None:
    answers = iter([None, 0, "ready"])
    assert wait_for(lambda: next(answers), timeout=5, message="x", interval=0) == "ready"


def test_wait_for_says_what_it_awaited_and_the_last_error() -> None:
    def not_found() -> bool:
        raise LookupError("configmap child still there")

    with pytest.raises(TimeoutError) as timed_out:
        wait_for(not_found, timeout=0.05, message="the child to go", ignore=(LookupError,))
    assert "the child to go" in str(timed_out.value)
    assert "configmap child still there" in str(timed_out.value)


def test_wait_for_lets_unexpected_errors_through_at_once() -> None:
    def broken() -> bool:
        raise PermissionError("403")

    with pytest.raises(PermissionError):
        wait_for(broken, timeout=60, message="never", ignore=(LookupError,))
