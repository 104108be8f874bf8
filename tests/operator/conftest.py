"""Fixtures of the operator suite: the CRD on the control plane, and a running operator."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from tests.operator.running import RunningOperator, install_crd
from tests.support.controlplane import ControlPlane


@pytest.fixture(scope="session")
def crd(control_plane: ControlPlane) -> None:
    """The EventGenerator CRD, installed once per session."""
    install_crd(control_plane)


@pytest.fixture
def operator(control_plane: ControlPlane, crd: None, namespace: str) -> Iterator[RunningOperator]:
    """`eventgen-operator` running as the chart's operator ServiceAccount, watching
    `namespace`. Fails the test when the operator was ever refused by RBAC or crashed."""
    # ServiceAccount tokens, ReplicaSets, Job pods and garbage collection need it.
    control_plane.require_controller_manager()
    running = RunningOperator(control_plane, namespace)
    try:
        running.start()
        yield running
        assert running.process is not None and running.process.running(), (
            f"the operator exited:\n{running.process.log_tail() if running.process else ''}"
        )
        log = running.log_text()
        assert "Forbidden" not in log and " 403" not in log, log[-4000:]
        assert "Traceback" not in log, log[-4000:]
    finally:
        running.cleanup()
