"""Starting etcd + kube-apiserver (+ kube-controller-manager) on free 127.0.0.1 ports.

The flags are the ones seen working with the 1.20.2 Debian build (see
/work/shared/control-plane.md); newer API servers (as in KUBEBUILDER_ASSETS) get the same
flags minus the insecure ports, which 1.24 removed. Everything lives in one temporary
folder: etcd data, serving certificates, the token file, logs and kubeconfigs.
"""

from __future__ import annotations

import re
import secrets
import ssl
import subprocess
import time
import urllib.error
import urllib.request
from dataclasses import dataclass, field
from pathlib import Path

from tests.support.kubeconfig import ClusterEndpoint, write_token_kubeconfig
from tests.support.processes import ManagedProcess, free_port, stop_all, wait_until_listening
from tests.support.sources import LocalBinaries

# Seconds. Generous: two shared cores; a 1.20 API server is ready in ~5-10 s when idle.
APISERVER_READY_TIMEOUT = 90.0
ETCD_READY_TIMEOUT = 30.0
# The 1.20 API server can linger long after SIGTERM; it holds nothing worth a clean exit.
APISERVER_STOP_GRACE = 2.0
OTHER_STOP_GRACE = 5.0

ADMIN_USER = "admin"
SERVICE_ACCOUNT_ISSUER = "https://kubernetes.default.svc"
# Controllers that need a cloud, nodes or volumes, none of which exist here.
DISABLED_CONTROLLERS = (
    "nodeipam",
    "nodelifecycle",
    "attachdetach",
    "persistentvolume-binder",
    "persistentvolume-expander",
    "cloud-node-lifecycle",
    "service",
    "route",
)


@dataclass
class LocalCluster:
    """A running local control plane; ``stop()`` ends every process it started."""

    workdir: Path
    endpoint: ClusterEndpoint
    admin_token: str
    admin_kubeconfig: Path
    has_controller_manager: bool
    processes: list[ManagedProcess] = field(default_factory=list)

    def stop(self) -> None:
        """Stop the controller manager and API server first, then etcd (their store)."""
        for process in reversed(self.processes):
            grace = APISERVER_STOP_GRACE if process.name == "kube-apiserver" else OTHER_STOP_GRACE
            stop_all([process], grace)
        self.processes.clear()


def minor_version(binary: Path) -> int:
    """The Kubernetes minor version a server binary reports (``--version``), e.g. 20."""
    output = subprocess.run(
        [str(binary), "--version"], capture_output=True, text=True, timeout=30, check=False
    ).stdout
    match = re.search(r"v1\.(\d+)\.", output)
    if match is None:
        raise RuntimeError(f"{binary} --version printed no Kubernetes version: {output!r}")
    return int(match.group(1))


def make_signing_key(path: Path) -> None:
    # One RSA key signs ServiceAccount tokens and (as its own public half) verifies them.
    subprocess.run(
        ["openssl", "genrsa", "-out", str(path), "2048"],
        check=True,
        capture_output=True,
        timeout=60,
    )


def _wait_ready(url: str, token: str, process: ManagedProcess, timeout: float) -> None:
    """Poll ``url`` (an HTTPS health endpoint) until it answers 200 ``ok``."""
    context = ssl.create_default_context()
    context.check_hostname = False
    context.verify_mode = ssl.CERT_NONE  # the serving certificate does not exist until startup
    request = urllib.request.Request(url, headers={"Authorization": f"Bearer {token}"})
    deadline = time.monotonic() + timeout
    last = "no answer"
    while time.monotonic() < deadline:
        if not process.running():
            raise RuntimeError(f"{process.name} exited early:\n{process.log_tail()}")
        try:
            with urllib.request.urlopen(request, context=context, timeout=5) as response:
                if response.status == 200:
                    return
                last = f"HTTP {response.status}"
        except urllib.error.HTTPError as error:
            last = f"HTTP {error.code}"
        except (urllib.error.URLError, OSError) as error:
            last = str(error)
        time.sleep(0.25)
    raise TimeoutError(
        f"{process.name} not ready at {url} within {timeout:g} s ({last}):\n{process.log_tail()}"
    )


def start_etcd(binaries: LocalBinaries, workdir: Path) -> tuple[ManagedProcess, int]:
    client_port, peer_port = free_port(), free_port()
    client_url, peer_url = f"http://127.0.0.1:{client_port}", f"http://127.0.0.1:{peer_port}"
    argv = [
        str(binaries.etcd),
        f"--data-dir={workdir / 'etcd'}",
        f"--listen-client-urls={client_url}",
        f"--advertise-client-urls={client_url}",
        f"--listen-peer-urls={peer_url}",
        f"--initial-advertise-peer-urls={peer_url}",
        f"--initial-cluster=default={peer_url}",
    ]
    if _etcd_knows_no_fsync(binaries.etcd):
        argv.append("--unsafe-no-fsync")  # throwaway data; fsync only slows the shared disk
    etcd = ManagedProcess("etcd", argv, workdir / "etcd.log")
    wait_until_listening(etcd, client_port, ETCD_READY_TIMEOUT)
    return etcd, client_port


def _etcd_knows_no_fsync(etcd: Path) -> bool:
    help_text = subprocess.run(
        [str(etcd), "--help"], capture_output=True, text=True, timeout=30, check=False
    )
    return "--unsafe-no-fsync" in help_text.stdout + help_text.stderr


def start_apiserver(
    binaries: LocalBinaries,
    workdir: Path,
    etcd_port: int,
    token: str,
    *,
    address: str = "127.0.0.1",
    extra_args: tuple[str, ...] = (),
) -> tuple[ManagedProcess, ClusterEndpoint]:
    """Start kube-apiserver serving on ``address`` (a free port) and wait until it is ready.

    The real node (tests/support/node/) passes an address of its own that pods can reach,
    and the flags a kubelet needs (``extra_args`` replace same-named defaults).
    """
    port = free_port()
    tokens = workdir / "tokens.csv"
    tokens.write_text(f"{token},{ADMIN_USER},{ADMIN_USER},system:masters\n")
    tokens.chmod(0o600)
    signing_key = workdir / "sa.key"
    argv = [
        str(binaries.kube_apiserver),
        f"--etcd-servers=http://127.0.0.1:{etcd_port}",
        f"--secure-port={port}",
        f"--bind-address={address}",
        f"--advertise-address={address}",
        f"--cert-dir={workdir / 'certs'}",
        f"--token-auth-file={tokens}",
        "--authorization-mode=RBAC",
        f"--service-account-key-file={signing_key}",
        f"--service-account-signing-key-file={signing_key}",
        f"--service-account-issuer={SERVICE_ACCOUNT_ISSUER}",
        "--service-cluster-ip-range=10.96.0.0/12",
        "--allow-privileged=true",
    ]
    if minor_version(binaries.kube_apiserver) < 24:
        argv.append("--insecure-port=0")
    overridden = {arg.split("=", 1)[0] for arg in extra_args}
    argv = [arg for arg in argv if arg.split("=", 1)[0] not in overridden] + list(extra_args)
    apiserver = ManagedProcess("kube-apiserver", argv, workdir / "kube-apiserver.log")
    _wait_ready(f"https://{address}:{port}/readyz", token, apiserver, APISERVER_READY_TIMEOUT)
    # The self-signed serving certificate (with its CA) is written at startup, for `address`.
    endpoint = ClusterEndpoint(
        server=f"https://{address}:{port}", ca_file=workdir / "certs" / "apiserver.crt"
    )
    return apiserver, endpoint


def start_controller_manager(
    manager: Path,
    workdir: Path,
    admin_kubeconfig: Path,
    disabled: tuple[str, ...] = DISABLED_CONTROLLERS,
) -> ManagedProcess:
    """Start kube-controller-manager with every controller but ``disabled``."""
    argv = [
        str(manager),
        f"--kubeconfig={admin_kubeconfig}",
        f"--service-account-private-key-file={workdir / 'sa.key'}",
        f"--root-ca-file={workdir / 'certs' / 'apiserver.crt'}",
        "--leader-elect=false",
        "--bind-address=127.0.0.1",
        f"--secure-port={free_port()}",
        "--use-service-account-credentials=false",
        "--controllers=*," + ",".join(f"-{name}" for name in disabled),
    ]
    if minor_version(manager) < 24:
        argv.append("--port=0")  # else it binds 10252 and a second control plane cannot start
    return ManagedProcess("kube-controller-manager", argv, workdir / "kube-controller-manager.log")


def start_local_cluster(binaries: LocalBinaries, workdir: Path) -> LocalCluster:
    """Start the servers in ``workdir``; on failure stop whatever started, then raise."""
    token = secrets.token_hex(16)
    make_signing_key(workdir / "sa.key")
    processes: list[ManagedProcess] = []
    try:
        etcd, etcd_port = start_etcd(binaries, workdir)
        processes.append(etcd)
        apiserver, endpoint = start_apiserver(binaries, workdir, etcd_port, token)
        processes.append(apiserver)
        admin_kubeconfig = write_token_kubeconfig(
            workdir / "admin.kubeconfig", endpoint, ADMIN_USER, token
        )
        if binaries.kube_controller_manager is not None:
            processes.append(
                start_controller_manager(
                    binaries.kube_controller_manager, workdir, admin_kubeconfig
                )
            )
    except BaseException:
        LocalCluster(workdir, ClusterEndpoint(""), token, Path(), False, processes).stop()
        raise
    return LocalCluster(
        workdir=workdir,
        endpoint=endpoint,
        admin_token=token,
        admin_kubeconfig=admin_kubeconfig,
        has_controller_manager=binaries.kube_controller_manager is not None,
        processes=processes,
    )
