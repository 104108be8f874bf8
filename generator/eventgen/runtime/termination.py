"""The fatal error as the container's termination message, where Kubernetes looks for it.

Kubernetes mounts a file into every container (`terminationMessagePath`, by default
/dev/termination-log; writable even under a read-only root filesystem) and copies what the
process wrote there into the pod status when the container stops. The operator reads it
from failing pods and reports it on the EventGenerator (`Degraded=True GeneratorFailing`),
so "topic not found" reaches `kubectl describe evgen` instead of staying in a pod log.
Outside Kubernetes the file does not exist and nothing is written.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from pathlib import Path

DEFAULT_PATH = "/dev/termination-log"
# Overrides the path (tests; a pod spec with another terminationMessagePath).
PATH_VARIABLE = "EVENTGEN_TERMINATION_LOG"
# Kubernetes keeps at most 4096 bytes of a termination message.
LIMIT = 4096


def write_termination_message(message: str, environ: Mapping[str, str] | None = None) -> bool:
    """Write `message` to the termination log if that file exists; whether it was written.

    Never creates the file (outside a container /dev is not ours to fill) and never
    raises: failing to say why must not change how the process fails.
    """
    source = os.environ if environ is None else environ
    path = Path(source.get(PATH_VARIABLE) or DEFAULT_PATH)
    data = message.encode()[:LIMIT]
    try:
        with path.open("r+b") as file:  # r+: the file must already exist
            file.truncate(0)
            file.write(data)
    except OSError:
        return False
    return True
