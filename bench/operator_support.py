"""Shared setup of the operator benchmarks: a real control plane, the CRD, one namespace,
and `eventgen-operator` running as a separate process with the chart's RBAC."""

from __future__ import annotations

import contextlib
import secrets
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

from kubernetes import client

from tests.operator.running import RunningOperator, install_crd
from tests.support.controlplane import ControlPlane

GROUP = "ecommerce.dataplatform.io"
VERSION = "v1alpha1"
PLURAL = "eventgenerators"


@dataclass
class Bench:
    """What a benchmark drives: the plane, the operator, typed API access as admin."""

    plane: ControlPlane
    operator: RunningOperator
    namespace: str
    api: client.ApiClient

    @property
    def custom(self) -> client.CustomObjectsApi:
        return client.CustomObjectsApi(self.api)

    @property
    def core(self) -> client.CoreV1Api:
        return client.CoreV1Api(self.api)

    @property
    def apps(self) -> client.AppsV1Api:
        return client.AppsV1Api(self.api)

    def create_generator(
        self, name: str, rate: float, max_rate_per_replica: float | None = None
    ) -> None:
        """Create a streaming EventGenerator (stdout sink) at `rate` events/s."""
        spec: dict[str, Any] = {"mode": "streaming", "rate": rate, "sink": {"type": "stdout"}}
        if max_rate_per_replica is not None:
            spec["maxRatePerReplica"] = max_rate_per_replica
        body: dict[str, Any] = {
            "apiVersion": f"{GROUP}/{VERSION}",
            "kind": "EventGenerator",
            "metadata": {"name": name},
            "spec": spec,
        }
        self.custom.create_namespaced_custom_object(GROUP, VERSION, self.namespace, PLURAL, body)

    def observed_generators(self) -> int:
        """How many EventGenerators carry a status for their current generation."""
        listed: Any = self.custom.list_namespaced_custom_object(
            GROUP, VERSION, self.namespace, PLURAL
        )
        return sum(
            (item.get("status") or {}).get("observedGeneration") == item["metadata"]["generation"]
            for item in listed["items"]
        )


@contextlib.contextmanager
def running_bench() -> Iterator[Bench]:
    """Start everything; stop and delete everything afterwards."""
    plane = ControlPlane.start()
    try:
        plane.require_controller_manager()
        install_crd(plane)
        namespace = plane.create_namespace(f"bench-{secrets.token_hex(3)}")
        operator = RunningOperator(plane, namespace)
        try:
            operator.start()
            with plane.api_client() as api:
                yield Bench(plane, operator, namespace, api)
        finally:
            operator.cleanup()
    finally:
        plane.stop()
