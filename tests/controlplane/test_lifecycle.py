"""The harness never leaves servers behind, and honours each source of a control plane."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
from pathlib import Path

import pytest

from tests.support.controlplane import ControlPlane, remove_stale_workdirs
from tests.support.sources import LocalBinaries, find_source

REPO = Path(__file__).resolve().parents[2]


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    # A zombie has exited; only its parent has not collected it yet.
    try:
        return Path(f"/proc/{pid}/stat").read_text().split(")")[-1].split()[0] != "Z"
    except OSError:
        return False


def _local_binaries(control_plane: ControlPlane) -> LocalBinaries:
    if os.environ.get("EVENTGEN_TEST_KUBECONFIG"):
        pytest.skip("EVENTGEN_TEST_KUBECONFIG is set: the harness starts no servers to check")
    source = find_source()
    assert isinstance(source, LocalBinaries)
    return source


def test_a_second_control_plane_runs_beside_the_first_and_stops_completely(
    control_plane: ControlPlane,
) -> None:
    _local_binaries(control_plane)
    second = ControlPlane.start()
    try:
        assert second.endpoint.server != control_plane.endpoint.server
        assert "kube-system" in second.kubectl("get", "namespaces", "-o", "name").stdout
        pids = second.server_pids()
        assert pids and all(_alive(pid) for pid in pids)
    finally:
        second.stop()
    assert [pid for pid in pids if _alive(pid)] == []
    assert not second.workdir.exists()
    # The session's control plane is untouched.
    control_plane.kubectl("get", "namespaces")


CRASHING_SESSION = """
import json, sys, time
from tests.support.controlplane import ControlPlane
plane = ControlPlane.start()
print(json.dumps({"pids": plane.server_pids(), "workdir": str(plane.workdir)}), flush=True)
time.sleep(600)
"""


def test_servers_die_with_a_killed_test_process(control_plane: ControlPlane) -> None:
    _local_binaries(control_plane)
    session = subprocess.Popen(
        [sys.executable, "-c", CRASHING_SESSION],
        cwd=REPO,
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert session.stdout is not None
        started = json.loads(session.stdout.readline())
    finally:
        # SIGKILL: no atexit, no finally, only the kernel can clean up now.
        session.send_signal(signal.SIGKILL)
        session.wait()
    pids: list[int] = started["pids"]
    assert len(pids) >= 2
    control_plane.wait_for(
        lambda: not any(_alive(pid) for pid in pids),
        timeout=30,
        message=f"the killed session's servers {pids} to exit",
    )
    # The next session removes the crashed one's folder (a concurrent session may already
    # have done so, which is the same behaviour).
    remove_stale_workdirs()
    assert not Path(started["workdir"]).exists()


def test_kubebuilder_assets_without_controller_manager_skip_what_needs_one(
    control_plane: ControlPlane, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    binaries = _local_binaries(control_plane)
    assets = tmp_path / "assets"
    assets.mkdir()
    (assets / "etcd").symlink_to(binaries.etcd)
    (assets / "kube-apiserver").symlink_to(binaries.kube_apiserver)
    monkeypatch.setenv("KUBEBUILDER_ASSETS", str(assets))

    plane = ControlPlane.start()
    try:
        assert not plane.has_controller_manager
        assert f"KUBEBUILDER_ASSETS={assets}" in plane.description
        with pytest.raises(pytest.skip.Exception, match="garbage collection"):
            plane.require_controller_manager()
        # ServiceAccount credentials need no controller manager (TokenRequest API).
        plane.create_namespace("team")
        plane.kubectl("create", "serviceaccount", "operator", "-n", "team")
        kubeconfig = plane.serviceaccount_kubeconfig("team", "operator")
        denied = plane.kubectl("get", "pods", "-n", "team", kubeconfig=kubeconfig, check=False)
        assert 'User "system:serviceaccount:team:operator" cannot list' in denied.stderr
    finally:
        plane.stop()


def test_an_existing_cluster_kubeconfig_is_used_and_left_running(
    control_plane: ControlPlane, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("EVENTGEN_TEST_KUBECONFIG", str(control_plane.admin_kubeconfig))
    attached = ControlPlane.start()
    try:
        assert attached.server_pids() == []
        assert attached.admin_kubeconfig == control_plane.admin_kubeconfig.resolve()
        assert attached.has_controller_manager == control_plane.has_controller_manager
        attached.create_namespace("attached-probe")
        listed = control_plane.kubectl("get", "namespace", "attached-probe", "-o", "name")
        assert listed.stdout.strip() == "namespace/attached-probe"
    finally:
        attached.stop()
        control_plane.delete_namespace("attached-probe")
    # Stopping an attached control plane stops nothing.
    control_plane.kubectl("get", "namespaces")


def test_run_control_plane_serves_until_sigterm_then_cleans_up(
    control_plane: ControlPlane,
) -> None:
    _local_binaries(control_plane)
    runner = subprocess.Popen(
        [sys.executable, "-m", "tests.support.run_control_plane"],
        cwd=REPO,
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert runner.stdout is not None
        runner.stdout.readline()  # the description
        export = runner.stdout.readline().strip()
        assert export.startswith("export KUBECONFIG=")
        kubeconfig = Path(export.split("=", 1)[1])
        listed = control_plane.kubectl("get", "namespaces", "-o", "name", kubeconfig=kubeconfig)
        assert "namespace/kube-system" in listed.stdout
    finally:
        runner.send_signal(signal.SIGTERM)
        status = runner.wait(timeout=60)
    assert status == 0
    assert not kubeconfig.exists(), "the runner's folder is removed when it stops"
