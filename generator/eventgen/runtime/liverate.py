"""Live-rate inputs: a polled file and a watched Kubernetes ConfigMap.

A streaming generator's rate is live configuration: the operator writes the per-replica
rate into a ConfigMap (key ``ratePerReplica``) and the pods pick it up without a restart.
Both watchers run in daemon threads and call ``on_rate(events_per_second)`` whenever the
value changes; a bad value is logged and ignored (the previous rate stays in force), so a
typo in a ConfigMap never stops a running generator.
"""

from __future__ import annotations

import importlib
import logging
import os
import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from eventgen import bounds
from eventgen.contract import LIVE_RATE_KEY, POD_NAMESPACE
from eventgen.errors import ConfigError, LiveRateError

RateCallback = Callable[[float], None]

QUICK_END_FIRST_PAUSE = 0.1
"""Seconds waited after the first watch in a row that ended quickly (then doubling)."""

log = logging.getLogger(__name__)


def parse_rate(text: str, source: str) -> float:
    """Parse a rate in events per second (a decimal number >= 0) read from ``source``
    (:func:`eventgen.bounds.parse_rate`'s rule and reason, prefixed with the source)."""
    try:
        return bounds.parse_rate(text.strip())
    except ValueError as error:
        raise LiveRateError(f"{source}: {error}") from None


def rate_from_configmap(configmap: Any, key: str = LIVE_RATE_KEY) -> float:
    """The rate a ConfigMap (a ``V1ConfigMap`` or its dict form) holds under ``key``."""
    if isinstance(configmap, dict):
        metadata = configmap.get("metadata") or {}
        name = f"{metadata.get('namespace')}/{metadata.get('name')}"
        data = configmap.get("data") or {}
    else:
        name = f"{configmap.metadata.namespace}/{configmap.metadata.name}"
        data = configmap.data or {}
    if key not in data:
        raise LiveRateError(f"ConfigMap {name} has no key {key!r}")
    return parse_rate(str(data[key]), f"ConfigMap {name} key {key}")


def parse_configmap_ref(ref: str, default_namespace: str | None = None) -> tuple[str, str]:
    """Split ``[NAMESPACE/]NAME`` into (namespace, name); namespace defaults to POD_NAMESPACE."""
    namespace, _, name = ref.rpartition("/")
    namespace = namespace or default_namespace or os.environ.get(POD_NAMESPACE) or ""
    if not name or not namespace or "/" in namespace:
        raise ConfigError(
            f"--rate-configmap {ref!r}: expected NAMESPACE/NAME, or NAME with POD_NAMESPACE set"
        )
    return namespace, name


class RateFileWatcher:
    """Polls a file holding a rate every ``interval`` seconds; calls back when it changes."""

    def __init__(self, path: Path, on_rate: RateCallback, interval: float = 0.5) -> None:
        self._path = path
        self._on_rate = on_rate
        self._interval = interval
        self._stop = threading.Event()
        self._last_text: str | None = None
        self._thread = threading.Thread(target=self._run, name="rate-file", daemon=True)

    def start(self) -> None:
        """Read the file once now (so a rate already there applies at once), then poll."""
        if not self._path.exists():
            # Said once: a typo in the path would otherwise look like a rate never applied.
            log.warning("rate file %s does not exist yet; the starting rate stays", self._path)
        self.poll()
        self._thread.start()

    def stop(self) -> None:
        """Stop polling (returns promptly; the thread is a daemon)."""
        self._stop.set()

    def poll(self) -> None:
        """Read the file once and report its rate if the contents changed since last time."""
        try:
            # Undecodable bytes become U+FFFD, which parse_rate rejects like any typo,
            # instead of an exception that would end the polling thread.
            text = self._path.read_bytes().decode("utf-8", errors="replace")
        except OSError as error:
            if self._last_text is not None:
                log.warning(
                    "rate file %s unreadable (%s); keeping the current rate", self._path, error
                )
            self._last_text = None
            return
        if text == self._last_text:
            return
        self._last_text = text
        try:
            rate = parse_rate(text, f"rate file {self._path}")
        except LiveRateError as error:
            log.warning("%s; keeping the current rate", error)
            return
        self._on_rate(rate)

    def _run(self) -> None:
        while not self._stop.wait(self._interval):
            self.poll()


def watch_configmap_rate(
    api: Any,
    namespace: str,
    name: str,
    on_rate: RateCallback,
    stop: threading.Event,
    *,
    watch_seconds: int = 60,
    retry_seconds: float = 2.0,
    quick_watch_seconds: float = 1.0,
    on_configmap: Callable[[Any], None] | None = None,
) -> None:
    """Follow one ConfigMap's rate through the Kubernetes API until ``stop`` is set.

    ``api`` is a ``kubernetes.client.CoreV1Api`` (the unit seam). Lists the ConfigMap, then
    watches from the listed resourceVersion; on any error (expired version, dropped
    connection, API server restart) waits ``retry_seconds`` and lists again, so no change is
    missed for longer than one retry. A watch that ends without error sooner than
    ``quick_watch_seconds`` (a server or proxy closing watches at once) is followed by a
    pause of 0.1 s doubling up to ``retry_seconds``, reset by a watch that lasted, so such
    a server is not hammered with lists. All times in seconds. ``on_configmap``, when
    given, sees every version of the ConfigMap too (the live shape reads its own key).
    """
    watch: Any = importlib.import_module("kubernetes.watch")
    selector = f"metadata.name={name}"
    last: float | None = None

    def apply(configmap: Any) -> None:
        nonlocal last
        if on_configmap is not None:
            on_configmap(configmap)
        try:
            rate = rate_from_configmap(configmap)
        except LiveRateError as error:
            log.warning("%s; keeping the current rate", error)
            return
        if rate != last:
            last = rate
            on_rate(rate)

    pause = QUICK_END_FIRST_PAUSE
    while not stop.is_set():
        watcher = watch.Watch()
        began = time.monotonic()
        try:
            listing = api.list_namespaced_config_map(namespace, field_selector=selector)
            for item in listing.items:
                apply(item)
            if not listing.items:
                log.warning("ConfigMap %s/%s not found; keeping the current rate", namespace, name)
            for event in watcher.stream(
                api.list_namespaced_config_map,
                namespace,
                field_selector=selector,
                resource_version=listing.metadata.resource_version,
                timeout_seconds=watch_seconds,
                _request_timeout=watch_seconds + 10,
            ):
                if stop.is_set():
                    break
                if event["type"] in ("ADDED", "MODIFIED"):
                    apply(event["object"])
                elif event["type"] == "ERROR":
                    break  # typically 410 Gone: the resourceVersion expired; list again
            if time.monotonic() - began < quick_watch_seconds:
                stop.wait(pause)
                pause = min(pause * 2, retry_seconds)
            else:
                pause = QUICK_END_FIRST_PAUSE
        except Exception as error:  # any API trouble means: wait, list again, re-watch
            log.warning("watching ConfigMap %s/%s failed (%s); retrying", namespace, name, error)
            stop.wait(retry_seconds)
        finally:
            watcher.stop()


def load_kubernetes_api() -> Any:
    """A ``CoreV1Api`` from in-cluster config, else from KUBECONFIG / ~/.kube/config."""
    client: Any = importlib.import_module("kubernetes.client")
    config: Any = importlib.import_module("kubernetes.config")
    try:
        config.load_incluster_config()
    except config.ConfigException:
        try:
            config.load_kube_config()
        except (config.ConfigException, OSError) as error:
            raise ConfigError(
                f"--rate-configmap: no Kubernetes configuration found ({error})"
            ) from None
    return client.CoreV1Api()


class ConfigMapRateWatcher:
    """Runs :func:`watch_configmap_rate` in a daemon thread."""

    def __init__(
        self,
        api: Any,
        namespace: str,
        name: str,
        on_rate: RateCallback,
        on_configmap: Callable[[Any], None] | None = None,
    ) -> None:
        self._stop = threading.Event()
        self._thread = threading.Thread(
            target=watch_configmap_rate,
            args=(api, namespace, name, on_rate, self._stop),
            kwargs={"on_configmap": on_configmap},
            name="rate-configmap",
            daemon=True,
        )

    def start(self) -> None:
        """Start watching."""
        self._thread.start()

    def stop(self) -> None:
        """Ask the watch to end at its next event or timeout (the thread is a daemon)."""
        self._stop.set()
