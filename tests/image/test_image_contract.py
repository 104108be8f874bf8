"""The Dockerfile installs and runs what this project is.

No container engine runs here, so the image is checked in two halves: the Dockerfile is read
(base, user, commands, build steps), and its build steps are repeated outside Docker - the same
`pip wheel --no-deps`, installed into a fresh virtual environment without pip - and the image's
commands are run from there as the image's numeric user.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
import tomllib
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
import yaml

from .dockerfile import Stage, dockerignore_excludes, read

ROOT = Path(__file__).resolve().parents[2]
DOCKERFILE = ROOT / "Dockerfile"
IMAGE_UID = 10001


def pyproject() -> dict[str, object]:
    with (ROOT / "pyproject.toml").open("rb") as handle:
        return tomllib.load(handle)


def console_scripts() -> dict[str, str]:
    project = pyproject()["project"]
    assert isinstance(project, dict)
    scripts = project["scripts"]
    assert isinstance(scripts, dict)
    return scripts


@pytest.fixture(scope="module")
def stages() -> list[Stage]:
    return read(DOCKERFILE)


@pytest.fixture(scope="module")
def final(stages: list[Stage]) -> Stage:
    return stages[-1]


# --- what the Dockerfile says ---------------------------------------------------------------


def test_every_stage_uses_the_same_python_3_11_slim_base_pinned_to_a_patch_release(
    stages: list[Stage],
) -> None:
    bases = {stage.base for stage in stages}
    # The venv built in one stage runs in the other: the interpreter must be the same one.
    assert len(bases) == 1, f"stages use different bases: {sorted(bases)}"
    base = bases.pop()
    assert re.fullmatch(
        r"(docker\.io/library/)?python:3\.11\.\d+-slim(-\w+)?(@sha256:[0-9a-f]{64})?", base
    ), f"base {base!r} is not python:3.11.<patch>-slim pinned by tag"


def test_final_stage_runs_as_a_numeric_non_root_user(final: Stage) -> None:
    user = final.last("USER")
    assert user is not None, "final stage has no USER: the container would run as root"
    uid, _, gid = user.argument.partition(":")
    # Numeric, so Kubernetes runAsNonRoot can verify it without an /etc/passwd lookup.
    assert uid.isdigit() and int(uid) != 0, f"USER {user.argument!r} is not a numeric non-root uid"
    assert gid == "" or (gid.isdigit() and int(gid) != 0), f"USER group {gid!r} is root or named"
    assert int(uid) == IMAGE_UID


def test_final_stage_copies_only_the_virtualenv_and_installs_nothing(
    stages: list[Stage], final: Stage
) -> None:
    # No RUN or ADD in the final stage: no package manager, compiler or pip cache can land there.
    assert final.all("RUN") == [] and final.all("ADD") == []
    copies = [c.flags_and_words() for c in final.all("COPY")]
    assert copies, "final stage copies nothing"
    build_names = {s.name for s in stages[:-1]}
    for flags, words in copies:
        assert flags.get("from") in build_names, (
            f"final stage copies {words} from the build context"
        )
        assert words[:-1] == [words[-1]] == [venv_path(stages)], f"final stage copies {words}"
    env = " ".join(i.argument for i in final.all("ENV"))
    assert f"PATH={venv_path(stages)}/bin:" in env, "the venv's bin folder is not on PATH"


def venv_path(stages: list[Stage]) -> str:
    """The folder the build stage creates its virtual environment in."""
    for stage in stages[:-1]:
        for run in stage.all("RUN"):
            match = re.search(r"-m venv (?:--\S+ )*(\S+)", run.argument)
            if match:
                return match.group(1)
    raise AssertionError("no build stage creates a virtual environment (python -m venv)")


def test_build_stage_builds_the_project_wheel_and_installs_it_without_pip_in_the_venv(
    stages: list[Stage],
) -> None:
    runs = " && ".join(r.argument for s in stages[:-1] for r in s.all("RUN"))
    assert re.search(r"pip wheel --no-deps --wheel-dir (\S+) \.", runs), runs
    assert "-m venv --without-pip" in runs, "the venv would carry pip into the final stage"
    assert re.search(r"pip --python \S+/bin/python install .*\.whl", runs), runs
    assert "--only-binary=:all:" in runs, "dependencies could be compiled from source"
    build_env = " ".join(i.argument for s in stages[:-1] for i in s.all("ENV"))
    assert "PIP_NO_CACHE_DIR=1" in build_env


def test_default_and_documented_commands_are_the_projects_console_scripts(final: Stage) -> None:
    scripts = console_scripts()
    assert set(scripts) == {"eventgen", "eventgen-operator"}
    # No ENTRYPOINT, so a pod's `command` alone names the program (one image, two commands).
    assert final.last("ENTRYPOINT") is None
    cmd = final.last("CMD")
    assert cmd is not None
    argv = cmd.exec_form()
    assert argv is not None, "CMD in shell form would run under /bin/sh and swallow SIGTERM"
    assert argv[0] in scripts, f"CMD runs {argv[0]!r}, not one of {sorted(scripts)}"


def test_image_exposes_the_generators_metrics_port(final: Stage) -> None:
    exposed = {int(p.split("/")[0]) for e in final.all("EXPOSE") for p in e.argument.split()}
    contracts = (ROOT / "docs" / "CONTRACTS.md").read_text(encoding="utf-8")
    match = re.search(r"EVENTGEN_METRICS_PORT \|.*default (\d+)", contracts)
    assert match, "docs/CONTRACTS.md no longer states the metrics port's default"
    assert int(match.group(1)) in exposed


def test_oci_labels_describe_this_release(final: Stage) -> None:
    labels = dict(
        re.findall(
            r'(org\.opencontainers\.image\.[\w.]+)="([^"]*)"',
            " ".join(label.argument for label in final.all("LABEL")),
        )
    )
    project = pyproject()["project"]
    assert isinstance(project, dict)
    version_args = {
        a.argument.partition("=")[0]: a.argument.partition("=")[2] for a in final.all("ARG")
    }
    version = labels.get("org.opencontainers.image.version", "")
    if version.startswith("${"):
        version = version_args[version.strip("${}")]
    assert version == project["version"], "image version label differs from pyproject's version"
    assert labels.get("org.opencontainers.image.licenses") == project["license"]
    for key in ("title", "description", "base.name"):
        assert labels.get(f"org.opencontainers.image.{key}"), f"label {key} missing or empty"


def test_chart_deploys_this_image_by_version_never_latest() -> None:
    values_path = ROOT / "helm" / "platform" / "values.yaml"
    if not values_path.exists():
        pytest.fail("helm/platform/values.yaml is missing; the chart names the image")
    values = yaml.safe_load(values_path.read_text(encoding="utf-8"))
    version = pyproject()["project"]["version"]  # type: ignore[index]
    images = [values["operator"]["image"], values["generator"]["image"]]
    # One image for both commands.
    assert len({image["repository"] for image in images}) == 1
    for image in images:
        assert image["tag"] == version, f"chart image tag {image['tag']!r} is not {version}"


def test_dockerignore_keeps_build_inputs_and_leaves_out_local_state(stages: list[Stage]) -> None:
    patterns = (ROOT / ".dockerignore").read_text(encoding="utf-8").splitlines()
    sources = [
        word
        for stage in stages[:-1]
        for copy in stage.all("COPY")
        if "from" not in copy.flags_and_words()[0]
        for word in copy.flags_and_words()[1][:-1]
    ]
    assert sources, "the build stage copies nothing from the context"
    for source in sources:
        assert not dockerignore_excludes(patterns, source.rstrip("/")), f"{source} is ignored"
        assert (ROOT / source).exists(), f"the Dockerfile copies {source}, which does not exist"
    for path in ("generator/eventgen/cli/main.py", "operator/eventgen_operator/__init__.py"):
        assert not dockerignore_excludes(patterns, path), path
    for path in (
        ".venv/bin/python",
        ".git/HEAD",
        "tests/conftest.py",
        "out/a.jsonl",
        "generator/eventgen/__pycache__/cli.cpython-311.pyc",
    ):
        assert dockerignore_excludes(patterns, path), f"{path} would enter the build context"


# --- the same build, outside Docker ----------------------------------------------------------


@dataclass(frozen=True)
class InstalledImage:
    """A virtual environment built the way the Dockerfile builds /opt/venv."""

    root: Path  # a folder the image's uid can read (the venv lives under it)
    bin: Path
    uid: int | None  # the uid commands run as; None: as this test process

    def run(
        self, argv: list[str], cwd: Path, timeout: float = 120
    ) -> subprocess.CompletedProcess[str]:
        """Run a command from the venv's bin with the image's environment and (if we can) uid."""
        env = {
            "PATH": f"{self.bin}:/usr/local/bin:/usr/bin:/bin",
            "HOME": str(cwd),
            "PYTHONUNBUFFERED": "1",
            "PYTHONDONTWRITEBYTECODE": "1",
            "LANG": "C.UTF-8",
        }
        return _run_as(self.uid, [str(self.bin / argv[0]), *argv[1:]], cwd, env, timeout)

    def workdir(self, name: str) -> Path:
        """A fresh folder the image's user may write to."""
        path = self.root / name
        path.mkdir()
        if self.uid is not None:
            os.chown(path, self.uid, self.uid)
        return path


def _run_as(
    uid: int | None, argv: list[str], cwd: Path, env: dict[str, str], timeout: float
) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        argv,
        cwd=cwd,
        env=env,
        capture_output=True,
        text=True,
        timeout=timeout,
        user=uid,
        group=uid,
        extra_groups=[] if uid is not None else None,
        check=False,
    )


def _image_uid_if_possible(python: Path, cwd: Path) -> int | None:
    """IMAGE_UID when we may switch to it and it can run the venv's interpreter, else None.

    Only root can switch users; and a base interpreter under a private folder (pyenv in
    /root) is out of the image user's reach, which says nothing about the image, whose
    interpreter is /usr/local/bin/python. Then the commands run as this process instead.
    """
    if os.geteuid() != 0:
        return None
    try:
        done = _run_as(IMAGE_UID, [str(python), "-c", "pass"], cwd, {}, 60)
    except PermissionError:
        return None
    return IMAGE_UID if done.returncode == 0 else None


def _checked(argv: list[str], cwd: Path) -> None:
    done = subprocess.run(argv, cwd=cwd, capture_output=True, text=True, check=False)
    if done.returncode != 0:
        pytest.fail(f"{' '.join(argv)} failed ({done.returncode}):\n{done.stderr[-3000:]}")


def base_interpreter(cwd: Path) -> Path:
    """The Python 3.11 to build the venv on: like the image's /usr/local/bin/python, one the
    image's uid can run (when we can switch to it), else this test's own interpreter."""
    own = Path(getattr(sys, "_base_executable", sys.executable))
    candidates = [own, Path("/usr/local/bin/python3.11"), Path("/usr/bin/python3.11")]
    for candidate in candidates:
        if candidate.is_file() and _image_uid_if_possible(candidate, cwd) is not None:
            return candidate
    return own


@pytest.fixture(scope="session")
def installed_image() -> Iterator[InstalledImage]:
    # Not under pytest's tmp folder: that one is private to us, and the commands run as 10001.
    root = Path(tempfile.mkdtemp(prefix="eventgen-image-"))
    root.chmod(0o755)
    try:
        wheels, venv = root / "wheels", root / "venv"
        _checked(
            [
                sys.executable,
                "-m",
                "pip",
                "wheel",
                "--no-deps",
                "--wheel-dir",
                str(wheels),
                str(ROOT),
            ],
            root,
        )
        built = sorted(wheels.glob("*.whl"))
        assert len(built) == 1, f"pip wheel --no-deps built {built}"
        _checked([str(base_interpreter(root)), "-m", "venv", "--without-pip", str(venv)], root)
        _checked(
            [
                sys.executable,
                "-m",
                "pip",
                "--python",
                str(venv / "bin" / "python"),
                "install",
                "--only-binary=:all:",
                str(built[0]),
            ],
            root,
        )
        uid = _image_uid_if_possible(venv / "bin" / "python", root)
        yield InstalledImage(root=root, bin=venv / "bin", uid=uid)
    finally:
        shutil.rmtree(root, ignore_errors=True)


@pytest.mark.slow
def test_installed_wheel_provides_both_commands_and_no_pip(installed_image: InstalledImage) -> None:
    for script in console_scripts():
        assert (installed_image.bin / script).is_file(), f"{script} not installed by the wheel"
    assert not (installed_image.bin / "pip").exists()


@pytest.mark.slow
def test_eventgen_help_runs_in_the_installed_image(installed_image: InstalledImage) -> None:
    done = installed_image.run(["eventgen", "--help"], installed_image.workdir("help"))
    assert done.returncode == 0, done.stderr
    for subcommand in ("stream", "batch", "schema"):
        assert subcommand in done.stdout, f"eventgen --help does not mention {subcommand}"


@pytest.mark.slow
def test_eventgen_operator_help_runs_in_the_installed_image(
    installed_image: InstalledImage,
) -> None:
    done = installed_image.run(["eventgen-operator", "--help"], installed_image.workdir("ophelp"))
    assert done.returncode == 0, done.stderr
    assert "usage" in done.stdout.lower()


@pytest.mark.slow
def test_eventgen_batch_in_the_installed_image_writes_exactly_the_requested_events(
    installed_image: InstalledImage,
) -> None:
    work = installed_image.workdir("batch")
    out = work / "out"
    done = installed_image.run(
        [
            "eventgen",
            "batch",
            "--events",
            "1000",
            "--sink",
            "jsonl",
            "--output",
            str(out),
            "--seed",
            "7",
            "--metrics-port",
            "0",
        ],
        work,
    )
    assert done.returncode == 0, done.stderr
    files = sorted(out.rglob("*.jsonl")) if out.is_dir() else [out]
    if installed_image.uid is not None:
        # Written by the image's user, with no write access anywhere but its work folder.
        assert {f.stat().st_uid for f in files} == {installed_image.uid}
    lines = [line for f in files for line in f.read_text(encoding="utf-8").splitlines()]
    assert len(lines) == 1000
    events = [json.loads(line) for line in lines]
    assert len({e["event_id"] for e in events}) == 1000
    by_generator: dict[str, list[int]] = {}
    for event in events:
        by_generator.setdefault(event["generator_id"], []).append(event["sequence"])
    for generator_id, sequences in by_generator.items():
        # Gap-free from 0 per generator: proves the packaged generator lost nothing.
        assert sorted(sequences) == list(range(len(sequences))), generator_id
