"""The node's images, built here because no container registry is reachable.

- ``k8s.gcr.io/pause:3.2``: the pause program compiled from the Kubernetes source
  (scripts/install-control-plane.sh), in a ``FROM scratch`` image under the name the kubelet
  asks for.
- The project's image, from the project's own Dockerfile with the legacy builder (BuildKit
  fetches its frontend from Docker Hub). Its base is the real ``python:3.11.14-slim-bookworm``
  when it can be pulled; otherwise a stand-in made from a debootstrap root filesystem
  (scripts/install-node.sh) with Debian's python 3.11.2 at the paths the Dockerfile expects.
  ``BuiltImage.base`` says which was used, and the tests print it.
Built images are imported into the node's containerd (namespace k8s.io), so pods start them
with ``imagePullPolicy: Never``.
"""

from __future__ import annotations

import re
import shutil
import subprocess
import tempfile
from dataclasses import dataclass
from pathlib import Path

from tests.support.node.engine import PAUSE_IMAGE, Containerd, Dockerd

REPO_ROOT = Path(__file__).resolve().parents[3]
REAL_BASE = "python:3.11.14-slim-bookworm"
MINBASE_IMAGE = "eventgen-local/debian-minbase:bookworm"
STANDIN_BASE = "eventgen-local/python:3.11-standin-bookworm"
STANDIN_DESCRIPTION = (
    "stand-in base: Debian bookworm minbase (debootstrap) + Debian's python 3.11.2"
)
PULL_TIMEOUT = 60.0

STANDIN_DOCKERFILE = f"""\
FROM {MINBASE_IMAGE}
# The host's extra trusted certificates: pip inside builds reaches the package index the way
# the host does only with them.
COPY ca/ /usr/local/share/ca-certificates/
RUN apt-get update \\
 && DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends \\
      python3 python3-venv python3-pip ca-certificates \\
 && rm -rf /var/lib/apt/lists/* \\
 && update-ca-certificates \\
 && ln -sf /usr/bin/python3.11 /usr/local/bin/python3.11 \\
 && ln -sf /usr/bin/python3.11 /usr/local/bin/python3 \\
 && ln -sf /usr/bin/python3.11 /usr/local/bin/python \\
 && rm -f /usr/lib/python3.11/EXTERNALLY-MANAGED
"""


@dataclass(frozen=True)
class BuiltImage:
    """The project's image as the node runs it."""

    reference: str  # e.g. eventgen:0.1.0-node
    base: str  # the PYTHON_IMAGE it was built on
    base_description: str  # "python:3.11.14-slim-bookworm (pulled)" or the stand-in's


def build_pause_image(dockerd: Dockerd, containerd: Containerd, pause_binary: Path) -> None:
    """Make ``k8s.gcr.io/pause:3.2`` from the compiled pause program and hand it to containerd."""
    with tempfile.TemporaryDirectory() as context:
        shutil.copy2(pause_binary, Path(context) / "pause")
        (Path(context) / "Dockerfile").write_text(
            'FROM scratch\nADD pause /pause\nENTRYPOINT ["/pause"]\n'
        )
        dockerd.docker("build", "-q", "-t", PAUSE_IMAGE, context)
    _hand_over(dockerd, containerd, PAUSE_IMAGE)


def _hand_over(dockerd: Dockerd, containerd: Containerd, reference: str) -> None:
    with tempfile.TemporaryDirectory() as folder:
        archive = Path(folder) / "image.tar"
        dockerd.docker("save", "-o", str(archive), reference)
        containerd.import_image(archive)


def pull_real_base(dockerd: Dockerd) -> bool:
    """Whether the real base image could be pulled (never on machines without Docker Hub)."""
    try:
        done = dockerd.docker("pull", "-q", REAL_BASE, check=False, timeout=PULL_TIMEOUT)
    except subprocess.TimeoutExpired:
        return False
    return done.returncode == 0


def standin_base(dockerd: Dockerd, cache: Path) -> str:
    """The stand-in base image, from the cache's saved copy or built from the root filesystem."""
    saved = cache / "python-standin-bookworm.tar"
    if saved.is_file():
        dockerd.docker("load", "-q", "-i", str(saved))
        return STANDIN_BASE
    rootfs = cache / "debian-bookworm-minbase.tar"
    if not rootfs.is_file():
        raise RuntimeError(f"{rootfs} is missing: run scripts/install-node.sh")
    with rootfs.open("rb") as data:
        dockerd.docker("import", "-", MINBASE_IMAGE, input=data.read())
    with tempfile.TemporaryDirectory() as context:
        ca = Path(context) / "ca"
        ca.mkdir()
        for certificate in Path("/usr/local/share/ca-certificates").glob("*.crt"):
            shutil.copy2(certificate, ca / certificate.name)
        (Path(context) / "Dockerfile").write_text(STANDIN_DOCKERFILE)
        dockerd.docker("build", "-q", "--network", "host", "-t", STANDIN_BASE, context)
    partial = saved.with_suffix(".partial")
    dockerd.docker("save", "-o", str(partial), STANDIN_BASE)
    partial.replace(saved)  # a half-written copy is never mistaken for a whole one
    return STANDIN_BASE


def project_version() -> str:
    """The distribution's version from pyproject.toml (the chart's image tag follows it)."""
    text = (REPO_ROOT / "pyproject.toml").read_text(encoding="utf-8")
    match = re.search(r'^version = "([^"]+)"', text, flags=re.MULTILINE)
    if match is None:
        raise RuntimeError("pyproject.toml names no version")
    return match.group(1)


def build_project_image(dockerd: Dockerd, containerd: Containerd, cache: Path) -> BuiltImage:
    """Build the project's Dockerfile (legacy builder) and give the image to containerd."""
    if pull_real_base(dockerd):
        base, description = REAL_BASE, f"{REAL_BASE} (pulled)"
    else:
        base, description = standin_base(dockerd, cache), STANDIN_DESCRIPTION
    reference = f"eventgen:{project_version()}"
    dockerd.docker(
        "build",
        "-q",
        "--network",
        "host",
        "--build-arg",
        f"PYTHON_IMAGE={base}",
        "-t",
        reference,
        str(REPO_ROOT),
    )
    _hand_over(dockerd, containerd, reference)
    return BuiltImage(reference, base, description)
