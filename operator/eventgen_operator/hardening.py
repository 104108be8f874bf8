"""Pure functions: how generator pods are locked down.

A generator needs no privileges: it runs as the image's numeric user, writes only to
scratch folders, and talks to the Kubernetes API only to watch its live rate (streaming).
So pods run non-root with every capability dropped and a read-only root filesystem; the
few writable places are emptyDirs (`/tmp`, and the output folder of the jsonl-local sink).

The grace period is tied to the generator's shutdown: on SIGTERM it stops generating and
flushes for at most `--flush-timeout` seconds, and Kubernetes must not SIGKILL it before
that flush ends, or events already generated are lost.
"""

from __future__ import annotations

from pathlib import PurePosixPath
from typing import Any

Manifest = dict[str, Any]

# USER 10001:10001 in the Dockerfile: a numeric user, so runAsNonRoot can verify it.
GENERATOR_UID = 10001
# Final flush of a streaming generator at SIGTERM, seconds (the generator's own default).
STREAM_FLUSH_TIMEOUT_SECONDS = 30
# `eventgen batch` flushes for at least 300 s whatever --flush-timeout says
# (eventgen/cli/batch.py), so that is the flush a batch pod's grace period must cover.
BATCH_FLUSH_TIMEOUT_SECONDS = 300
# Exit code of a shard stopped by a signal before it generated all its events (EX_TEMPFAIL).
# Non-zero so the Job reruns the shard instead of counting a short shard as done; the rerun
# rewrites the shard's own objects.
BATCH_INTERRUPTED_EXIT_CODE = 75
# Time beyond the flush for the summary, closing the sink and process exit.
GRACE_MARGIN_SECONDS = 30
TMP_VOLUME = "tmp"
OUTPUT_VOLUME = "output"
# Folders of the image an emptyDir must never hide (the interpreter and venv live there).
SYSTEM_FOLDERS = frozenset(
    {"bin", "boot", "dev", "etc", "lib", "lib32", "lib64", "opt", "proc", "run", "sbin"}
    | {"sys", "usr", "var"}
)


def grace_period_seconds(flush_timeout_seconds: int) -> int:
    """terminationGracePeriodSeconds that outlasts a flush of `flush_timeout_seconds`."""
    return flush_timeout_seconds + GRACE_MARGIN_SECONDS


def pod_security_context() -> Manifest:
    """Non-root as the image's user; fsGroup makes emptyDirs writable for it."""
    return {
        "runAsNonRoot": True,
        "runAsUser": GENERATOR_UID,
        "runAsGroup": GENERATOR_UID,
        "fsGroup": GENERATOR_UID,
        "seccompProfile": {"type": "RuntimeDefault"},
    }


def container_security_context() -> Manifest:
    """No privilege escalation, no capabilities, nothing written outside the emptyDirs."""
    return {
        "allowPrivilegeEscalation": False,
        "readOnlyRootFilesystem": True,
        "capabilities": {"drop": ["ALL"]},
    }


def output_folder(path: str) -> PurePosixPath:
    """The folder the jsonl-local sink writes into: `path` itself when it ends in `/`
    (the generator then writes rotating parts there), else the file's parent."""
    return PurePosixPath(path) if path.endswith("/") else PurePosixPath(path).parent


def output_path_problem(path: str) -> str | None:
    """Why an emptyDir cannot be mounted for output `path` (None when it can)."""
    folder = output_folder(path)
    if not folder.is_absolute():
        return "must be an absolute path, e.g. /data/events"
    if ".." in folder.parts:
        return "must not contain '..'"
    if folder == PurePosixPath("/"):
        return "must be inside a folder below /, e.g. /data/events (a volume is mounted there)"
    if folder.parts[1] in SYSTEM_FOLDERS:
        return (
            f"must be outside the image's system folders (/{folder.parts[1]}); "
            "use e.g. /data/events"
        )
    return None


def _under_tmp(folder: PurePosixPath) -> bool:
    return folder == PurePosixPath("/tmp") or PurePosixPath("/tmp") in folder.parents


def scratch_volumes(output_path: str | None) -> tuple[list[Manifest], list[Manifest]]:
    """(pod volumes, container volumeMounts): an emptyDir at /tmp (Python and client
    temp files; the image sets HOME=/tmp), and one at the jsonl-local output folder unless
    /tmp already holds it."""
    volumes: list[Manifest] = [{"name": TMP_VOLUME, "emptyDir": {}}]
    mounts: list[Manifest] = [{"name": TMP_VOLUME, "mountPath": "/tmp"}]
    if output_path is not None:
        folder = output_folder(output_path)
        if not _under_tmp(folder):
            volumes.append({"name": OUTPUT_VOLUME, "emptyDir": {}})
            mounts.append({"name": OUTPUT_VOLUME, "mountPath": str(folder)})
    return volumes, mounts
