"""The API server goes away under 120 generators and comes back: the operator stays quiet,
says it once each way, never prints a traceback, and converges within seconds.

The helper below stops the session's own kube-apiserver and starts it again with the same
command line (same port, certificates, token file and etcd, so every client's credentials
stay valid). It reaches into the harness's process list because `ControlPlane` offers no
restart of its own; an existing cluster (EVENTGEN_TEST_KUBECONFIG) cannot be restarted, so
the test skips there.
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from contextlib import contextmanager

import pytest

from tests.operator.running import RunningOperator, example
from tests.support.controlplane import ControlPlane
from tests.support.processes import ManagedProcess

GENERATORS = 120
# Longer than kopf's default retries (1+1+2+3+5+8+13+21 = 54 s), after which its watchers
# used to fail with a traceback.
OUTAGE_SECONDS = 70
# The bound for convergence is 5 s; the assertion leaves room for a loaded machine.
CONVERGE_WITHIN = 10
# Lines the operator may log from the outage's start to 15 s after the return: unreachable,
# reachable again, the edit applied and the repair, with room for a kopf line or two.
MOST_LINES = 10

pytestmark = pytest.mark.slow


def _apiserver(plane: ControlPlane) -> tuple[list[ManagedProcess], int]:
    local = getattr(plane, "_local", None)
    if local is None:
        pytest.skip(f"{plane.description}: the test cannot restart an existing cluster's server")
    processes: list[ManagedProcess] = local.processes
    index = next(i for i, p in enumerate(processes) if p.name == "kube-apiserver")
    return processes, index


@contextmanager
def api_server_down(plane: ControlPlane) -> Iterator[None]:
    """Stop the API server for the duration of the block, then start it again and wait
    until it answers."""
    processes, index = _apiserver(plane)
    old = processes[index]
    old.stop(grace=2)
    try:
        yield
    finally:
        log = old.log_path.with_name(f"kube-apiserver-{int(time.time())}.log")
        processes[index] = ManagedProcess("kube-apiserver", old.argv, log)
        plane.wait_for(
            lambda: (
                plane.kubectl("get", "--raw", "/readyz", check=False, timeout=10).returncode == 0
            ),
            timeout=120,
            message="kube-apiserver to answer again",
            interval=0.2,
        )


def replicas(operator: RunningOperator, name: str) -> int | None:
    found = operator.get("deployment", name)
    return None if found is None else int(found["spec"]["replicas"])


def test_an_api_server_outage_is_quiet_and_the_operator_converges_promptly(
    operator: RunningOperator, control_plane: ControlPlane
) -> None:
    documents = []
    for index in range(GENERATORS):
        manifest = example("streaming.yaml")
        manifest["metadata"]["name"] = f"gen-{index:03d}"
        documents.append(manifest)
    operator.apply({"apiVersion": "v1", "kind": "List", "items": documents})

    def all_observed() -> bool:
        items = operator.items("evgen")
        return len(items) == GENERATORS and all(
            (item.get("status") or {}).get("observedGeneration") == 1 for item in items
        )

    operator.wait_for(all_observed, f"all {GENERATORS} generators observed", timeout=300)
    time.sleep(2)  # let the last status writes settle, so the log below is the outage's
    before = len(operator.log_text())
    with api_server_down(control_plane):
        time.sleep(OUTAGE_SECONDS)
    returned = time.monotonic()
    # What happens right after the return: an edit, and a child deleted by hand.
    operator.patch_spec("gen-000", rate=80_000)
    operator.kubectl("delete", "deployment", "gen-001", "--wait=false")
    operator.wait_for(
        lambda: replicas(operator, "gen-000") == 4 and replicas(operator, "gen-001") == 1,
        "the edit applied and the deleted Deployment restored",
        timeout=60,
    )
    converged = time.monotonic() - returned
    print(f"converged {converged:.1f} s after the API server answered again")
    assert converged < CONVERGE_WITHIN
    time.sleep(max(0.0, returned + 15 - time.monotonic()))
    lines = operator.log_text()[before:].splitlines()
    print("\n".join(lines))
    assert "Traceback" not in "\n".join(lines)
    assert len(lines) <= MOST_LINES, lines
    assert sum("Kubernetes API unreachable" in line for line in lines) == 1
    assert sum("Kubernetes API reachable again" in line for line in lines) == 1
    assert any("restored Deployment gen-001 of " in line for line in lines), lines
    # Every generator is back to what its spec says, with nothing left pending.
    items = {d["metadata"]["name"]: d["spec"]["replicas"] for d in operator.items("deployments")}
    assert len(items) == GENERATORS
    for item in operator.items("evgen"):
        annotations = item["metadata"].get("annotations") or {}
        assert not [key for key in annotations if "generator_changed" in key], annotations
