"""Live shape inputs: a polled shape file and the ``shape`` key of the live ConfigMap.

Like the live rate (:mod:`eventgen.runtime.liverate`), a shape edit applies without a restart, and
a bad edit is logged and ignored: the shape in force stays, so a typo never stops a
running stream. The first read of ``--shape`` is strict (a bad file is a one-line error,
exit 2, before anything is generated).
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any

from eventgen.contract import LIVE_SHAPE_KEY
from eventgen.errors import ConfigError
from eventgen.shape.document import Shape, parse_shape

ShapeCallback = Callable[[Shape], None]

log = logging.getLogger(__name__)


def read_shape_file(path: Path) -> Shape:
    """The shape in ``path`` (YAML or JSON); ConfigError when unreadable or bad."""
    try:
        text = path.read_bytes().decode("utf-8", errors="replace")
    except OSError as error:
        raise ConfigError(f"--shape {path}: {error.strerror}") from None
    return parse_shape(text, f"--shape {path}")


def shape_from_configmap(configmap: Any) -> Shape:
    """The shape a ConfigMap (``V1ConfigMap`` or dict) holds under ``shape``; flat if absent."""
    if isinstance(configmap, dict):
        metadata = configmap.get("metadata") or {}
        name = f"{metadata.get('namespace')}/{metadata.get('name')}"
        data: Mapping[str, Any] = configmap.get("data") or {}
    else:
        name = f"{configmap.metadata.namespace}/{configmap.metadata.name}"
        data = configmap.data or {}
    if LIVE_SHAPE_KEY not in data:
        return Shape()
    return parse_shape(str(data[LIVE_SHAPE_KEY]), f"ConfigMap {name} key {LIVE_SHAPE_KEY}")


class ShapeFileWatcher:
    """Polls a shape file every ``interval`` seconds; calls back with each new valid shape."""

    def __init__(self, path: Path, on_shape: ShapeCallback, interval: float = 0.5) -> None:
        self._path = path
        self._on_shape = on_shape
        self._interval = interval
        self._stop = threading.Event()
        self._last: bytes | None = None
        self._thread = threading.Thread(target=self._run, name="shape-file", daemon=True)

    def start(self) -> None:
        """Remember the current contents (already applied by the caller), then poll."""
        try:
            self._last = self._path.read_bytes()
        except OSError:
            self._last = None
        self._thread.start()

    def stop(self) -> None:
        """Stop polling (the thread is a daemon)."""
        self._stop.set()

    def poll(self) -> None:
        """Read the file once; report its shape if the contents changed and are valid."""
        try:
            content = self._path.read_bytes()
        except OSError as error:
            if self._last is not None:
                log.warning("shape file %s unreadable (%s); keeping the shape", self._path, error)
            self._last = None
            return
        if content == self._last:
            return
        self._last = content
        try:
            shape = parse_shape(content.decode("utf-8", errors="replace"), f"--shape {self._path}")
        except ConfigError as error:
            log.warning("%s; keeping the shape in force", error)
            return
        self._on_shape(shape)

    def _run(self) -> None:
        while not self._stop.wait(self._interval):
            self.poll()


def configmap_shape_listener(on_shape: ShapeCallback) -> Callable[[Any], None]:
    """A callback for each ConfigMap version seen: applies its shape when it changed."""
    last: list[Shape | None] = [None]

    def seen(configmap: Any) -> None:
        try:
            shape = shape_from_configmap(configmap)
        except ConfigError as error:
            log.warning("%s; keeping the shape in force", error)
            return
        if shape != last[0]:
            last[0] = shape
            on_shape(shape)

    return seen
