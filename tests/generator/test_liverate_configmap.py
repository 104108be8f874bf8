"""``--rate-configmap`` against a real Kubernetes API server: edits apply without restart."""

from __future__ import annotations

import signal
import subprocess

from kubernetes import client

from tests.support.cli_process import clean_env, eventgen_command, summary
from tests.support.controlplane import ControlPlane
from tests.support.processes import free_port
from tests.support.scraping import target_rate
from tests.support.waiting import wait_for


def test_configmap_rate_edits_reach_the_running_stream(
    control_plane: ControlPlane, namespace: str
) -> None:
    api_client = control_plane.api_client()
    core = client.CoreV1Api(api_client)
    core.create_namespaced_config_map(
        namespace,
        client.V1ConfigMap(
            metadata=client.V1ObjectMeta(name="gen-rate"), data={"ratePerReplica": "300"}
        ),
    )
    port = free_port()
    env = clean_env(
        {
            "KUBECONFIG": str(control_plane.admin_kubeconfig),
            "POD_NAMESPACE": namespace,
            "EVENTGEN_METRICS_PORT": str(port),
            "EVENTGEN_RATE_CONFIGMAP": "gen-rate",
        }
    )
    process = subprocess.Popen(
        eventgen_command("stream", "--rate", "5"),
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )
    try:
        wait_for(lambda: target_rate(port) == 300, 30, "the ConfigMap's initial rate 300")
        for rate in ("1200", "0", "75.5"):
            core.patch_namespaced_config_map(
                "gen-rate", namespace, {"data": {"ratePerReplica": rate}}
            )

            def reached(wanted: float = float(rate)) -> bool:
                return target_rate(port) == wanted

            wait_for(reached, 5, f"rate {rate} within 5 s")
        # A bad value is ignored: the running rate stays.
        core.patch_namespaced_config_map(
            "gen-rate", namespace, {"data": {"ratePerReplica": "lots"}}
        )
        core.patch_namespaced_config_map("gen-rate", namespace, {"data": {"ratePerReplica": "9"}})
        wait_for(lambda: target_rate(port) == 9, 5, "the next valid rate")
        assert process.poll() is None, "the generator was never restarted"
    finally:
        process.send_signal(signal.SIGTERM)
        _, stderr = process.communicate(timeout=60)
        api_client.close()  # type: ignore[no-untyped-call]
    assert process.returncode == 0, stderr
    assert b"ConfigMap" in stderr and b"'lots' is not a number" in stderr
    report = summary(stderr)
    assert report["delivered"] == report["generated"]
