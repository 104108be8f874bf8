"""The generator's fatal error becomes its container's termination message."""

from __future__ import annotations

from pathlib import Path

import pytest

from eventgen.cli.main import main
from eventgen.runtime.termination import PATH_VARIABLE, write_termination_message
from tests.support.pubsub_server import PubSubServer

pytest_plugins = ["tests.support.pubsub_fixtures"]


def test_a_fatal_error_is_written_to_the_termination_log(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    log = tmp_path / "termination-log"
    log.write_text("left over from an earlier run, longer than the new message\n")
    monkeypatch.setenv(PATH_VARIABLE, str(log))
    assert main(["batch", "--events", "0"]) == 2
    said = capsys.readouterr().err.strip()
    assert said.startswith("eventgen: error: ")
    assert log.read_text() == said


def test_a_sink_that_fails_mid_run_says_why_in_the_termination_log(
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
    pubsub_server: PubSubServer,
) -> None:
    # Found on the real node: a stream whose topic does not exist failed in its sink, after
    # start-up, and its pod's termination message was the whole log instead of this line.
    log = tmp_path / "termination-log"
    log.touch()
    monkeypatch.setenv(PATH_VARIABLE, str(log))
    argv = ["stream", "--rate", "50", "--duration", "5s", "--metrics-port", "0", "--sink",
            "pubsub", "--pubsub-project", "p", "--pubsub-topic", "no-such-topic"]  # fmt: skip
    assert main(argv) == 1
    error_lines = [
        line for line in capsys.readouterr().err.splitlines() if line.startswith("eventgen: error:")
    ]
    assert error_lines and "no-such-topic" in error_lines[0]
    assert log.read_text() == error_lines[0]


def test_outside_a_container_no_file_is_created(tmp_path: Path) -> None:
    absent = tmp_path / "termination-log"
    assert write_termination_message("eventgen: error: x", {PATH_VARIABLE: str(absent)}) is False
    assert not absent.exists()


def test_an_unwritable_termination_log_does_not_change_the_failure(tmp_path: Path) -> None:
    folder = tmp_path / "a-folder"
    folder.mkdir()
    assert write_termination_message("eventgen: error: x", {PATH_VARIABLE: str(folder)}) is False


def test_the_message_is_cut_to_what_kubernetes_keeps(tmp_path: Path) -> None:
    log = tmp_path / "termination-log"
    log.touch()
    write_termination_message("x" * 10_000, {PATH_VARIABLE: str(log)})
    assert log.stat().st_size == 4096
