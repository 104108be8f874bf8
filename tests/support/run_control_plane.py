"""Run the test control plane by hand, for developing against it outside pytest.

``python -m tests.support.run_control_plane`` starts the control plane the tests would use,
prints ``export KUBECONFIG=...`` (admin), and serves until Ctrl-C or SIGTERM, then stops
every server it started. Exit status 1 with a one-line reason when none is available.
"""

from __future__ import annotations

import signal
import sys
import threading

from tests.support.controlplane import ControlPlane
from tests.support.sources import ControlPlaneUnavailable


def main() -> int:
    """Start, print how to reach it, wait for a stop signal, stop; the exit status."""
    try:
        plane = ControlPlane.start()
    except ControlPlaneUnavailable as reason:
        print(f"run_control_plane: {reason}", file=sys.stderr)
        return 1
    stop = threading.Event()
    for signum in (signal.SIGINT, signal.SIGTERM):
        signal.signal(signum, lambda *_: stop.set())
    try:
        print(f"# {plane.description}; Ctrl-C stops it", flush=True)
        print(f"export KUBECONFIG={plane.admin_kubeconfig}", flush=True)
        stop.wait()
    finally:
        plane.stop()
    return 0


if __name__ == "__main__":
    sys.exit(main())
