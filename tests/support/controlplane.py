"""A real Kubernetes control plane for tests, with the helpers tests drive it through.

``ControlPlane.start()`` picks a source (see ``sources.py``): an existing cluster from
``EVENTGEN_TEST_KUBECONFIG``, or etcd + kube-apiserver (+ kube-controller-manager) started
on free 127.0.0.1 ports in a temporary folder. One is meant to be shared by a test session
(the ``control_plane`` fixture in tests/conftest.py). Its processes are stopped by
``stop()``, at interpreter exit, and by the kernel if the test process dies.
"""

from __future__ import annotations

import atexit
import base64
import contextlib
import os
import re
import shutil
import subprocess
import tempfile
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import TypeVar

import pytest
from kubernetes import client, config
from kubernetes.client.exceptions import ApiException

from tests.support.kubeconfig import ClusterEndpoint, read_endpoint, write_token_kubeconfig
from tests.support.local_cluster import LocalCluster, start_local_cluster
from tests.support.sources import ExternalCluster, LocalBinaries, find_source
from tests.support.tools import Tools, find_tools, missing_tools_reason
from tests.support.waiting import wait_for as _wait_for

T = TypeVar("T")

WORKDIR_PREFIX = "eventgen-cp-"
# Seconds a ServiceAccount token is valid for; outlives any test session.
TOKEN_LIFETIME = 24 * 3600
START_ATTEMPTS = 3  # a free port can be taken by someone else before the server binds it

CONTROLLER_MANAGER_FEATURES = (
    "kube-controller-manager (Deployments -> ReplicaSets -> Pods, Jobs -> Pods, "
    "garbage collection of owned objects, namespace deletion, default ServiceAccounts)"
)


class ToolError(subprocess.CalledProcessError):
    """kubectl or helm exited non-zero; the message carries their stderr."""

    def __str__(self) -> str:
        command = " ".join(str(part) for part in self.cmd)
        stderr = (self.stderr or "").strip()
        return f"`{command}` exited {self.returncode}: {stderr or (self.stdout or '').strip()}"


class ControlPlane:
    """A running control plane: admin access, tools bound to it, and small conveniences."""

    def __init__(
        self,
        *,
        description: str,
        admin_kubeconfig: Path,
        endpoint: ClusterEndpoint,
        has_controller_manager: bool,
        workdir: Path,
        tools: Tools | None,
        local: LocalCluster | None = None,
    ) -> None:
        self.description = description
        self.admin_kubeconfig = admin_kubeconfig
        self.endpoint = endpoint
        self.has_controller_manager = has_controller_manager
        self.workdir = workdir
        self.tools = tools
        self._local = local
        self._stopped = False

    # -- life cycle ---------------------------------------------------------------------

    @classmethod
    def start(cls, tools: Tools | None = None) -> ControlPlane:
        """Start (or attach to) the preferred control plane; ``stop()`` ends it.

        Raises ``sources.ControlPlaneUnavailable`` when there is none (tests then skip), and
        RuntimeError/TimeoutError when binaries exist but the servers fail to start.
        """
        source = find_source()
        if tools is None:
            tools = find_tools()
        remove_stale_workdirs()
        workdir = Path(tempfile.mkdtemp(prefix=WORKDIR_PREFIX))
        (workdir / "owner.pid").write_text(str(os.getpid()))
        try:
            plane = cls._attach(source, workdir, tools)
        except BaseException:
            shutil.rmtree(workdir, ignore_errors=True)
            raise
        atexit.register(plane.stop)
        return plane

    @classmethod
    def _attach(
        cls, source: ExternalCluster | LocalBinaries, workdir: Path, tools: Tools | None
    ) -> ControlPlane:
        if isinstance(source, ExternalCluster):
            plane = cls(
                description=source.describe(),
                admin_kubeconfig=source.kubeconfig,
                endpoint=read_endpoint(source.kubeconfig),
                has_controller_manager=True,
                workdir=workdir,
                tools=tools,
            )
            # A controller manager creates every namespace's "default" ServiceAccount.
            plane.has_controller_manager = plane._default_serviceaccount_exists("default")
            return plane
        local = _start_with_retries(source, workdir)
        plane = cls(
            description=source.describe(),
            admin_kubeconfig=local.admin_kubeconfig,
            endpoint=local.endpoint,
            has_controller_manager=local.has_controller_manager,
            workdir=workdir,
            tools=tools,
            local=local,
        )
        try:
            if plane.has_controller_manager:
                # Ready means controllers run, not just that the process exists.
                plane.wait_for(
                    lambda: plane._default_serviceaccount_exists("default"),
                    timeout=60,
                    message="kube-controller-manager to create the default ServiceAccount",
                )
        except BaseException:
            local.stop()
            raise
        return plane

    def stop(self) -> None:
        """Stop every process this harness started and delete its folder (idempotent)."""
        if self._stopped:
            return
        self._stopped = True
        try:
            if self._local is not None:
                self._local.stop()
        finally:
            shutil.rmtree(self.workdir, ignore_errors=True)

    def server_pids(self) -> list[int]:
        """Process ids of the servers this harness started (none for an existing cluster)."""
        return [process.pid for process in self._local.processes] if self._local else []

    # -- capabilities -------------------------------------------------------------------

    def require_controller_manager(self) -> None:
        """Skip the calling test when no kube-controller-manager runs, saying why."""
        if not self.has_controller_manager:
            pytest.skip(f"needs {CONTROLLER_MANAGER_FEATURES}; {self.description} has none")

    # -- tools --------------------------------------------------------------------------

    def kubectl(
        self,
        *args: str,
        kubeconfig: Path | None = None,
        input: str | None = None,
        check: bool = True,
        timeout: float = 120,
    ) -> subprocess.CompletedProcess[str]:
        """Run kubectl 1.35 against this cluster (admin unless ``kubeconfig``); text output.

        ``timeout`` is in seconds. With ``check`` a non-zero exit raises ToolError.
        """
        tools = self._require_tools()
        return self._run(tools.kubectl, args, kubeconfig, input, check, timeout)

    def helm(
        self,
        *args: str,
        kubeconfig: Path | None = None,
        input: str | None = None,
        check: bool = True,
        timeout: float = 300,
    ) -> subprocess.CompletedProcess[str]:
        """Run helm v4 against this cluster, like ``kubectl()``; helm's state stays in workdir."""
        tools = self._require_tools()
        return self._run(tools.helm, args, kubeconfig, input, check, timeout)

    def _require_tools(self) -> Tools:
        if self.tools is None:
            pytest.skip(missing_tools_reason())
        return self.tools

    def _run(
        self,
        program: Path,
        args: Sequence[str],
        kubeconfig: Path | None,
        input: str | None,
        check: bool,
        timeout: float,
    ) -> subprocess.CompletedProcess[str]:
        config_path = kubeconfig or self.admin_kubeconfig
        argv = [str(program), "--kubeconfig", str(config_path), *args]
        result = subprocess.run(
            argv,
            input=input,
            capture_output=True,
            text=True,
            timeout=timeout,
            env=self._tool_environment(config_path),
            check=False,
        )
        if check and result.returncode != 0:
            raise ToolError(result.returncode, argv, result.stdout, result.stderr)
        return result

    def _tool_environment(self, kubeconfig: Path) -> dict[str, str]:
        # Caches and helm's repositories in the session's folder: nothing leaks into $HOME,
        # and a discovery cache never outlives the cluster it describes.
        env = dict(os.environ)
        env.update(
            KUBECONFIG=str(kubeconfig),
            KUBECACHEDIR=str(self.workdir / "kube-cache"),
            HELM_CACHE_HOME=str(self.workdir / "helm" / "cache"),
            HELM_CONFIG_HOME=str(self.workdir / "helm" / "config"),
            HELM_DATA_HOME=str(self.workdir / "helm" / "data"),
        )
        return env

    # -- API access ---------------------------------------------------------------------

    def api_client(self, kubeconfig: Path | None = None) -> client.ApiClient:
        """A new kubernetes ApiClient (admin unless ``kubeconfig``); the caller closes it."""
        path = kubeconfig or self.admin_kubeconfig
        # persist_config=False: never write refreshed credentials back into the file.
        api: client.ApiClient = config.new_client_from_config(  # type: ignore[no-untyped-call]
            config_file=str(path), persist_config=False
        )
        return api

    def wait_for(
        self,
        predicate: Callable[[], T | None],
        timeout: float = 30,
        message: str = "condition",
        *,
        interval: float = 0.2,
        ignore: tuple[type[BaseException], ...] = (),
    ) -> T:
        """Poll ``predicate`` until truthy and return its value; see ``waiting.wait_for``."""
        return _wait_for(predicate, timeout, message, interval=interval, ignore=ignore)

    def create_namespace(self, name: str) -> str:
        """Create namespace ``name`` and return it; with a controller manager, also wait for
        its default ServiceAccount, without which Pods cannot be created in it."""
        with self.api_client() as api:
            client.CoreV1Api(api).create_namespace(
                client.V1Namespace(metadata=client.V1ObjectMeta(name=name))
            )
        if self.has_controller_manager:
            self.wait_for(
                lambda: self._default_serviceaccount_exists(name),
                timeout=60,
                message=f"the default ServiceAccount in namespace {name}",
            )
        return name

    def delete_namespace(self, name: str) -> None:
        """Start deleting namespace ``name`` (does not wait; a missing one is fine)."""
        with self.api_client() as api, contextlib.suppress(ApiException):
            client.CoreV1Api(api).delete_namespace(name)

    def serviceaccount_kubeconfig(self, namespace: str, name: str, timeout: float = 60) -> Path:
        """A kubeconfig authenticating as ServiceAccount ``namespace/name``, with its RBAC.

        Waits up to ``timeout`` seconds for the ServiceAccount to exist (it may just have been
        applied). The token comes from the TokenRequest API, which works on every source,
        with or without a controller manager; when the server lacks that API, from the
        token Secret the token controller creates.
        """
        token = self.wait_for(
            lambda: self._serviceaccount_token(namespace, name),
            timeout=timeout,
            message=f"a token for ServiceAccount {namespace}/{name}",
            interval=0.5,
        )
        folder = self.workdir / "kubeconfigs"
        folder.mkdir(exist_ok=True)
        user = f"system:serviceaccount:{namespace}:{name}"
        return write_token_kubeconfig(
            folder / f"sa-{namespace}-{name}.yaml", self.endpoint, user, token, namespace
        )

    def _serviceaccount_token(self, namespace: str, name: str) -> str | None:
        with self.api_client() as api:
            core = client.CoreV1Api(api)
            try:
                account = core.read_namespaced_service_account(name, namespace)
            except ApiException as error:
                if error.status == 404:
                    return None
                raise
            request = client.AuthenticationV1TokenRequest(
                spec=client.V1TokenRequestSpec(audiences=[], expiration_seconds=TOKEN_LIFETIME)
            )
            try:
                answer = core.create_namespaced_service_account_token(name, namespace, request)
                return answer.status.token if answer.status is not None else None
            except ApiException as error:
                if error.status not in (404, 405):
                    raise
            return _token_from_secrets(core, namespace, account)

    def _default_serviceaccount_exists(self, namespace: str) -> bool:
        with self.api_client() as api:
            try:
                client.CoreV1Api(api).read_namespaced_service_account("default", namespace)
            except ApiException as error:
                if error.status == 404:
                    return False
                raise
        return True


def _token_from_secrets(
    core: client.CoreV1Api, namespace: str, account: client.V1ServiceAccount
) -> str | None:
    for reference in account.secrets or []:
        if reference.name is None:
            continue
        try:
            secret = core.read_namespaced_secret(reference.name, namespace)
        except ApiException:
            continue
        if secret.type == "kubernetes.io/service-account-token" and secret.data:
            encoded = secret.data.get("token")
            if isinstance(encoded, str) and encoded:
                return base64.b64decode(encoded).decode()
    return None


def _start_with_retries(source: LocalBinaries, workdir: Path) -> LocalCluster:
    last_error: Exception | None = None
    for attempt in range(START_ATTEMPTS):
        attempt_dir = workdir / f"attempt-{attempt}"
        attempt_dir.mkdir()
        try:
            return start_local_cluster(source, attempt_dir)
        except (RuntimeError, TimeoutError) as error:
            # Only a lost race for a port is worth another try; anything else is reported.
            if not re.search(r"address already in use", str(error)):
                raise
            last_error = error
    raise RuntimeError(f"control plane failed to start {START_ATTEMPTS} times: {last_error}")


def remove_stale_workdirs() -> None:
    """Delete folders of earlier sessions whose test process is gone (after a crash)."""
    for folder in Path(tempfile.gettempdir()).glob(f"{WORKDIR_PREFIX}*"):
        try:
            owner = int((folder / "owner.pid").read_text())
        except (OSError, ValueError):
            continue
        if not _process_alive(owner):
            shutil.rmtree(folder, ignore_errors=True)


def _process_alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True
