"""What the kind suite reads from the cluster, through the Kubernetes API only.

Thin helpers over the python kubernetes client: the EventGenerator custom objects, the
children the operator made for one (found by ownerReference, not by guessing names), pod
identity and restarts, and a diagnostic dump for failures.
"""

from __future__ import annotations

import contextlib
import json
import threading
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml
from kubernetes import client
from kubernetes.client.exceptions import ApiException

GROUP, VERSION, PLURAL = "ecommerce.dataplatform.io", "v1alpha1", "eventgenerators"


@dataclass(frozen=True)
class PodIdentity:
    """A pod as far as "was it restarted?" goes: name, uid and summed container restarts."""

    name: str
    uid: str
    restarts: int


class Cluster:
    """API clients for one kubeconfig."""

    def __init__(self, api: client.ApiClient) -> None:
        # Typed as Any on purpose: the client's models make every field Optional, and this
        # suite reads objects the API server has filled in; a missing field is a failure
        # that surfaces as an exception with the object's name in the step's message.
        self.core: Any = client.CoreV1Api(api)
        self.apps: Any = client.AppsV1Api(api)
        self.batch: Any = client.BatchV1Api(api)
        self.custom: Any = client.CustomObjectsApi(api)

    # --- EventGenerators ---------------------------------------------------------------------

    def create_generator(
        self, namespace: str, manifest: dict[str, Any], dry_run: bool = False
    ) -> dict[str, Any]:
        """Create an EventGenerator (server-side validated; `dry_run` stores nothing)."""
        kwargs = {"dry_run": "All"} if dry_run else {}
        created: dict[str, Any] = self.custom.create_namespaced_custom_object(
            GROUP, VERSION, namespace, PLURAL, manifest, **kwargs
        )
        return created

    def get_generator(self, namespace: str, name: str) -> dict[str, Any] | None:
        """The EventGenerator, or None once it is gone."""
        try:
            found: dict[str, Any] = self.custom.get_namespaced_custom_object(
                GROUP, VERSION, namespace, PLURAL, name
            )
        except ApiException as error:
            if error.status == 404:
                return None
            raise
        return found

    def patch_generator_spec(self, namespace: str, name: str, spec: dict[str, Any]) -> None:
        """Merge-patch fields of an EventGenerator's spec."""
        self.custom.patch_namespaced_custom_object(
            GROUP, VERSION, namespace, PLURAL, name, {"spec": spec}
        )

    def delete_generator(self, namespace: str, name: str) -> None:
        """Delete an EventGenerator (its children go by garbage collection)."""
        self.custom.delete_namespaced_custom_object(GROUP, VERSION, namespace, PLURAL, name)

    # --- children and pods -------------------------------------------------------------------

    def owned_by(self, namespace: str, owner_uid: str) -> list[tuple[str, str, str]]:
        """(kind, name, uid) of Deployments, Jobs, ConfigMaps, Services and Pods in `namespace`
        whose ownerReferences name `owner_uid`, plus the Pods of those Deployments and Jobs."""
        listings: list[tuple[str, list[Any]]] = [
            ("Deployment", self.apps.list_namespaced_deployment(namespace).items),
            ("Job", self.batch.list_namespaced_job(namespace).items),
            ("ConfigMap", self.core.list_namespaced_config_map(namespace).items),
            ("Service", self.core.list_namespaced_service(namespace).items),
        ]
        children = [
            (kind, o.metadata.name, o.metadata.uid)
            for kind, items in listings
            for o in items
            if any(ref.uid == owner_uid for ref in o.metadata.owner_references or [])
        ]
        direct = {uid for _, _, uid in children}
        replica_sets = {
            rs.metadata.uid
            for rs in self.apps.list_namespaced_replica_set(namespace).items
            if any(ref.uid in direct for ref in rs.metadata.owner_references or [])
        }
        children.extend(
            ("Pod", p.metadata.name, p.metadata.uid)
            for p in self.core.list_namespaced_pod(namespace).items
            if any(ref.uid in direct | replica_sets for ref in p.metadata.owner_references or [])
        )
        return children

    def exists(self, namespace: str, kind: str, name: str, uid: str) -> bool:
        """Whether the object (that very uid, not a namesake) still exists."""
        readers = {
            "Deployment": self.apps.read_namespaced_deployment,
            "Job": self.batch.read_namespaced_job,
            "ConfigMap": self.core.read_namespaced_config_map,
            "Service": self.core.read_namespaced_service,
            "Pod": self.core.read_namespaced_pod,
        }
        try:
            found = readers[kind](name, namespace)
        except ApiException as error:
            if error.status == 404:
                return False
            raise
        return bool(found.metadata.uid == uid)

    def deployment_pods(self, namespace: str, name: str) -> list[Any]:
        """Current pods of a Deployment (by its selector), deleting ones excluded."""
        deployment = self.apps.read_namespaced_deployment(name, namespace)
        selector = ",".join(f"{k}={v}" for k, v in deployment.spec.selector.match_labels.items())
        pods = self.core.list_namespaced_pod(namespace, label_selector=selector).items
        return [p for p in pods if p.metadata.deletion_timestamp is None]

    def all_ready(self, pods: list[Any]) -> bool:
        """Whether every pod has condition Ready=True (and there is at least one)."""
        return bool(pods) and all(
            any(c.type == "Ready" and c.status == "True" for c in p.status.conditions or [])
            for p in pods
        )

    def identities(self, pods: list[Any]) -> dict[str, PodIdentity]:
        """Pod name -> identity (uid and restarts), for before/after comparisons."""
        return {
            p.metadata.name: PodIdentity(
                p.metadata.name,
                p.metadata.uid,
                sum(s.restart_count for s in p.status.container_statuses or []),
            )
            for p in pods
        }

    def job_pods(self, namespace: str, job_name: str) -> list[Any]:
        """Pods created by a Job (the job-name label Kubernetes sets on them)."""
        return list(
            self.core.list_namespaced_pod(namespace, label_selector=f"job-name={job_name}").items
        )

    def follow_log(self, namespace: str, name: str) -> LogFollower:
        """Start reading a pod's log as it is written (until the container ends)."""
        return LogFollower(self.core, namespace, name)

    def pod_log(self, namespace: str, name: str) -> str:
        """The whole log of a pod's only container."""
        text: str = self.core.read_namespaced_pod_log(name, namespace)
        return text

    # --- for failure reports -----------------------------------------------------------------

    def diagnostics(self, namespaces: list[str]) -> str:
        """Pods, their states and recent events, and the operator's log tail."""
        lines: list[str] = []
        for namespace in namespaces:
            try:
                for pod in self.core.list_namespaced_pod(namespace).items:
                    statuses = [
                        f"{s.name}: ready={s.ready} restarts={s.restart_count} "
                        f"state={s.state.to_dict() if s.state else None}"
                        for s in pod.status.container_statuses or []
                    ]
                    lines.append(
                        f"pod {namespace}/{pod.metadata.name} {pod.status.phase} {statuses}"
                    )
                for event in self.core.list_namespaced_event(namespace).items[-20:]:
                    lines.append(f"event {namespace}: {event.reason}: {event.message}")
                for generator in self.custom.list_namespaced_custom_object(
                    GROUP, VERSION, namespace, PLURAL
                )["items"]:
                    lines.append(
                        f"{namespace}/{generator['metadata']['name']} status: "
                        f"{json.dumps(generator.get('status'))}"
                    )
            except ApiException as error:
                lines.append(f"{namespace}: cannot list ({error.status} {error.reason})")
        return "\n".join(lines)

    def logs_tail(self, namespace: str, label_selector: str, lines: int = 40) -> str:
        """The last lines of the logs of pods matching a selector."""
        out = []
        for pod in self.core.list_namespaced_pod(namespace, label_selector=label_selector).items:
            try:
                log = self.core.read_namespaced_pod_log(
                    pod.metadata.name, namespace, tail_lines=lines
                )
            except ApiException as error:
                log = f"(no log: {error.status} {error.reason})"
            out.append(f"--- {pod.metadata.name}\n{log}")
        return "\n".join(out)


class LogFollower:
    """A pod's log, followed in a thread, so the last lines of a pod being deleted are kept
    (the kubelet removes a deleted pod's log with its container)."""

    def __init__(self, core: Any, namespace: str, name: str) -> None:
        self._chunks: list[str] = []
        self._lock = threading.Lock()
        self._response = core.read_namespaced_pod_log(
            name, namespace, follow=True, _preload_content=False
        )
        self._thread = threading.Thread(target=self._read, name=f"log-{name}", daemon=True)
        self._thread.start()

    def _read(self) -> None:
        with contextlib.suppress(Exception):  # the stream ends with the container
            for chunk in self._response.stream(1024):
                with self._lock:
                    self._chunks.append(chunk.decode(errors="replace"))

    def text(self) -> str:
        """Everything read so far."""
        with self._lock:
            return "".join(self._chunks)


def load_manifest(path: Path) -> dict[str, Any]:
    """The one YAML document in `path`."""
    document: dict[str, Any] = yaml.safe_load(path.read_text(encoding="utf-8"))
    return document


def example_generators(folder: Path) -> list[tuple[Path, dict[str, Any]]]:
    """Every EventGenerator document in the YAML files of `folder` (the project's examples)."""
    found = []
    for path in sorted(folder.glob("*.yaml")) + sorted(folder.glob("*.yml")):
        for document in yaml.safe_load_all(path.read_text(encoding="utf-8")):
            if isinstance(document, dict) and document.get("kind") == "EventGenerator":
                found.append((path, document))
    return found
