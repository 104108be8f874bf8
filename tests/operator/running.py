"""The operator as a separate process, with exactly the chart's RBAC, and what a user sees.

`RunningOperator` renders the operator's RBAC from the Helm chart (`helm template
--show-only templates/operator/rbac.yaml`, watching one namespace), applies it with the
admin kubeconfig, and starts `eventgen-operator` authenticated as the chart's operator
ServiceAccount: a permission the chart forgot shows up as a 403 in the operator's log,
which the fixture checks after every test. Assertions go through kubectl, as a user's would.
"""

from __future__ import annotations

import json
import secrets
import shutil
import sys
import urllib.request
from pathlib import Path
from typing import Any

import yaml

from tests.support.controlplane import ControlPlane, ToolError
from tests.support.helm_chart import REPO_ROOT, default_values, render_text
from tests.support.processes import ManagedProcess, free_port, wait_until_listening

CRD = REPO_ROOT / "crds" / "eventgenerators.yaml"
EXAMPLES = REPO_ROOT / "examples"
GENERATOR_IMAGE = "registry.test/eventgen:test"


def operator_command() -> str:
    """The installed `eventgen-operator` next to this Python."""
    command = shutil.which("eventgen-operator", path=str(Path(sys.executable).parent))
    assert command is not None, "eventgen-operator is not installed next to this Python"
    return command


def install_crd(plane: ControlPlane) -> None:
    """Apply the CRD; --validate=false because kubectl's client-side check rejects
    x-kubernetes-validations against a server older than 1.25, which then drops them."""
    plane.kubectl("apply", "--validate=false", "-f", str(CRD))
    plane.kubectl(
        "wait", "--for=condition=Established", "--timeout=60s",
        "crd/eventgenerators.ecommerce.dataplatform.io",
    )  # fmt: skip


class RunningOperator:
    """One `eventgen-operator` process watching one namespace, plus kubectl helpers."""

    def __init__(self, plane: ControlPlane, namespace: str) -> None:
        self.plane = plane
        self.namespace = namespace
        self.release = f"platform-{secrets.token_hex(3)}"
        self._rbac = render_text(
            self._helm(),
            default_values(operator={"watchNamespaces": [namespace]}),
            release=self.release,
            namespace=namespace,
            extra=["--show-only", "templates/operator/rbac.yaml"],
        )
        plane.kubectl("apply", "-f", "-", input=self._rbac)
        [account] = [
            doc["metadata"]["name"]
            for doc in yaml.safe_load_all(self._rbac)
            if doc and doc["kind"] == "ServiceAccount"
        ]
        self.kubeconfig = plane.serviceaccount_kubeconfig(namespace, account)
        self.process: ManagedProcess | None = None
        self.logs: list[Path] = []
        self.port = 0

    def _helm(self) -> Path:
        assert self.plane.tools is not None
        return self.plane.tools.helm

    def start(self) -> None:
        """Start the operator and wait until its liveness endpoint answers."""
        self.port = free_port()
        log = self.plane.workdir / f"{self.release}-operator-{len(self.logs)}.log"
        self.logs.append(log)
        env = shutil.which("env")
        assert env is not None
        self.process = ManagedProcess(
            "eventgen-operator",
            [
                env,
                f"KUBECONFIG={self.kubeconfig}",
                f"EVENTGEN_OPERATOR_GENERATOR_IMAGE={GENERATOR_IMAGE}",
                "EVENTGEN_OPERATOR_GCP_PROJECT=test-project",
                operator_command(),
                "--namespace",
                self.namespace,
                f"--liveness=http://127.0.0.1:{self.port}/healthz",
            ],
            log,
        )
        wait_until_listening(self.process, self.port, timeout=60)
        with urllib.request.urlopen(f"http://127.0.0.1:{self.port}/healthz", timeout=10) as answer:
            assert answer.status == 200

    def stop(self) -> None:
        """SIGTERM the operator (SIGKILL after a grace period)."""
        if self.process is not None:
            self.process.stop(grace=10)
            self.process = None

    def restart(self) -> None:
        """Stop and start again, as a rescheduled operator pod would."""
        self.stop()
        self.start()

    def log_text(self) -> str:
        """Everything every run of the operator logged so far."""
        return "\n".join(path.read_text(errors="replace") for path in self.logs if path.exists())

    def cleanup(self) -> None:
        """Stop the operator and delete the cluster-scoped RBAC objects it was given."""
        self.stop()
        for doc in yaml.safe_load_all(self._rbac):
            if doc and doc["kind"] in {"ClusterRole", "ClusterRoleBinding"}:
                self.plane.kubectl(
                    "delete", doc["kind"].lower(), doc["metadata"]["name"], "--ignore-not-found",
                    check=False,
                )  # fmt: skip

    # -- what a user sees ---------------------------------------------------------------

    def kubectl(self, *args: str, input: str | None = None) -> str:
        """kubectl in the test namespace (admin, as the user); returns stdout."""
        return self.plane.kubectl("--namespace", self.namespace, *args, input=input).stdout

    def get(self, kind: str, name: str | None = None) -> Any:
        """`kubectl get KIND [NAME] -o json` as data (None when NAME does not exist)."""
        args = ["get", kind, "-o", "json"] + ([name] if name else [])
        result = self.plane.kubectl("--namespace", self.namespace, *args, check=False)
        if result.returncode != 0:
            if "NotFound" in result.stderr:
                return None
            raise AssertionError(result.stderr)
        return json.loads(result.stdout)

    def items(self, kind: str) -> list[dict[str, Any]]:
        """Every object of `kind` in the namespace."""
        found: list[dict[str, Any]] = self.get(kind)["items"]
        return found

    def apply(self, manifest: dict[str, Any] | str) -> None:
        """kubectl apply a manifest (data or YAML text)."""
        text = manifest if isinstance(manifest, str) else yaml.safe_dump(manifest)
        self.kubectl("apply", "-f", "-", input=text)

    def apply_unless_refused(self, manifest: dict[str, Any], refusal: str) -> bool:
        """Apply `manifest`; False when the API server refused it saying `refusal`. Servers
        >= 1.25 enforce the CRD's CEL rules; older ones leave those rules to the operator."""
        try:
            self.apply(manifest)
        except ToolError as refused:
            assert refusal in str(refused), str(refused)
            return False
        return True

    def patch_spec(self, name: str, **fields: Any) -> None:
        """kubectl patch evgen NAME --type merge -p '{"spec": fields}'."""
        self.kubectl("patch", "evgen", name, "--type", "merge", "-p", json.dumps({"spec": fields}))

    def wait_for(self, predicate: Any, message: str, timeout: float = 60) -> Any:
        """Poll `predicate` until truthy (seconds); failing says what never happened and
        shows the operator's last log lines (a 403 there names a missing permission)."""
        try:
            return self.plane.wait_for(predicate, timeout=timeout, message=message, interval=0.3)
        except TimeoutError as error:
            tail = "\n".join(self.log_text().splitlines()[-25:])
            raise TimeoutError(f"{error}\noperator log:\n{tail}") from None

    def wait_status(self, name: str, check: Any, message: str, timeout: float = 60) -> Any:
        """Wait until `check(status)` holds for EventGenerator `name`; returns the object."""

        def probe() -> Any:
            obj = self.get("evgen", name)
            return obj if obj and check(obj.get("status") or {}) else None

        return self.wait_for(probe, f"EventGenerator {name}: {message}", timeout)

    def wait_not_ready(
        self, name: str, phase: str, reason: str, timeout: float = 60
    ) -> dict[str, Any]:
        """Wait until EventGenerator `name` reports `phase`, check that it says Ready=False
        with `reason`, and return that Ready condition."""
        generator = self.wait_status(
            name, lambda s: s.get("phase") == phase, f"reported {phase}", timeout
        )
        ready = condition(generator["status"], "Ready")
        assert (ready["status"], ready["reason"]) == ("False", reason), ready
        return ready


def example(name: str) -> dict[str, Any]:
    """A manifest from examples/ as data."""
    loaded: dict[str, Any] = yaml.safe_load((EXAMPLES / name).read_text())
    return loaded


def condition(status: dict[str, Any], kind: str) -> dict[str, Any]:
    """The condition of type `kind` ({} when absent)."""
    return next((c for c in status.get("conditions") or [] if c["type"] == kind), {})


def table_row(table: str) -> dict[str, str]:
    """`kubectl get` output of one object as column -> cell. Cells are cut at the header's
    column starts, because kubectl leaves a missing value blank."""
    header, row = table.splitlines()
    names = header.split()
    starts = [header.index(f"{name} " if name != names[-1] else name) for name in names]
    ends = [*starts[1:], None]
    return {
        name: row[start:end].strip() for name, start, end in zip(names, starts, ends, strict=True)
    }
