"""Stop every generator before the operator goes: the chart's pre-delete hook.

Why: EventGenerators outlive ``helm uninstall`` (the CRD is kept, so users' resources are not
lost with a release), but without the operator nobody manages their pods, which would go on
publishing to Pub/Sub, and billing, with no one to scale or stop them. So the chart runs this
before it deletes anything: every EventGenerator in the watched namespaces is deleted (its
Deployment, Job and ConfigMap follow by garbage collection), and the hook waits until their
pods have drained and exited, so ``helm uninstall`` returns with no generator pod left.
Opt out with the chart value ``operator.uninstall.deleteGenerators=false``.

    python -m eventgen_operator.uninstall --namespace team-a [--namespace team-b] | --all-namespaces

Prints one line per deleted EventGenerator and a last line; exits 0 when no generator pod is
left, 1 when some still run after ``--timeout`` seconds (saying which), 2 on bad usage.
"""

from __future__ import annotations

import argparse
import sys
import time
from collections.abc import Callable, Sequence
from typing import Any, Protocol

from kubernetes import client
from kubernetes.client.exceptions import ApiException

from eventgen_operator.kubeapi import GROUP, PLURAL, VERSION, load_api_client
from eventgen_operator.labels import MANAGED_BY, MANAGED_BY_LABEL

# Labels every generator pod carries (eventgen_operator.children.labels).
GENERATOR_PODS = f"app.kubernetes.io/component=generator,{MANAGED_BY_LABEL}={MANAGED_BY}"
DEFAULT_TIMEOUT = 600.0  # seconds: above the generators' termination grace period
POLL_SECONDS = 1.0


def parse_args(argv: Sequence[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        prog="python -m eventgen_operator.uninstall",
        description="Delete every EventGenerator and wait until its pods are gone.",
    )
    scope = parser.add_mutually_exclusive_group(required=True)
    scope.add_argument("-n", "--namespace", action="append", default=[], metavar="NAME")
    scope.add_argument("-A", "--all-namespaces", action="store_true")
    parser.add_argument("--timeout", type=float, default=DEFAULT_TIMEOUT, metavar="SECONDS")
    args = parser.parse_args(argv)
    if args.timeout <= 0:
        parser.error("--timeout must be greater than zero")
    return args


class GeneratorApi(Protocol):
    """What stopping generators needs from the API (``Generators``; a fake in tests)."""

    def names(self) -> list[tuple[str, str]]: ...
    def delete(self, namespace: str, name: str) -> None: ...
    def pods(self) -> list[str]: ...


class Generators:
    """EventGenerators and their pods in some namespaces (None: all), through the API."""

    def __init__(self, api: client.ApiClient, namespaces: Sequence[str] | None) -> None:
        self._custom: Any = client.CustomObjectsApi(api)
        self._core: Any = client.CoreV1Api(api)
        self._namespaces = namespaces

    def names(self) -> list[tuple[str, str]]:
        """(namespace, name) of every EventGenerator in scope."""
        if self._namespaces is None:
            listing = self._custom.list_cluster_custom_object(GROUP, VERSION, PLURAL)
            items = listing["items"]
        else:
            items = [
                item
                for namespace in self._namespaces
                for item in self._custom.list_namespaced_custom_object(
                    GROUP, VERSION, namespace, PLURAL
                )["items"]
            ]
        return [(i["metadata"]["namespace"], i["metadata"]["name"]) for i in items]

    def delete(self, namespace: str, name: str) -> None:
        """Delete one; its children go by garbage collection (a vanished one is fine)."""
        try:
            self._custom.delete_namespaced_custom_object(
                GROUP, VERSION, namespace, PLURAL, name, propagation_policy="Background"
            )
        except ApiException as error:
            if error.status != 404:
                raise

    def pods(self) -> list[str]:
        """namespace/name of every generator pod in scope (terminating ones included)."""
        if self._namespaces is None:
            found = self._core.list_pod_for_all_namespaces(label_selector=GENERATOR_PODS).items
        else:
            found = [
                pod
                for namespace in self._namespaces
                for pod in self._core.list_namespaced_pod(
                    namespace, label_selector=GENERATOR_PODS
                ).items
            ]
        return [f"{p.metadata.namespace}/{p.metadata.name}" for p in found]


def stop_generators(
    generators: GeneratorApi,
    timeout: float,
    say: Callable[[str], None],
    clock: Callable[[], float] = time.monotonic,
    sleep: Callable[[float], None] = time.sleep,
) -> int:
    """Delete every EventGenerator, wait for their pods to be gone; the exit status."""
    deleted = generators.names()
    for namespace, name in deleted:
        generators.delete(namespace, name)
        say(f"deleted EventGenerator {namespace}/{name}")
    deadline = clock() + timeout
    while True:
        left = generators.pods()
        if not left:
            say(f"{len(deleted)} EventGenerator(s) deleted; no generator pod is left")
            return 0
        if clock() >= deadline:
            shown = ", ".join(left[:5]) + (f" and {len(left) - 5} more" if len(left) > 5 else "")
            say(f"error: after {timeout:g} s, generator pods still run: {shown}")
            return 1
        sleep(POLL_SECONDS)


def main(argv: Sequence[str] | None = None) -> int:
    args = parse_args(argv)
    namespaces = None if args.all_namespaces else list(dict.fromkeys(args.namespace))
    with load_api_client() as api:
        try:
            return stop_generators(Generators(api, namespaces), args.timeout, _say)
        except ApiException as error:
            _say(f"error: the API server refused: {error.status} {error.reason}")
            return 1


def _say(line: str) -> None:
    print(f"eventgen-operator uninstall: {line}", flush=True)


if __name__ == "__main__":
    sys.exit(main())
