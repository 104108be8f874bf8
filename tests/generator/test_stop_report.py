"""What ``eventgen`` says when a signal stopped it: delivered everything, or, when the final
flush failed or timed out, that it did not, with the counts and the reason."""

from __future__ import annotations

import io
import logging
from collections.abc import Callable
from contextlib import redirect_stderr

import pytest

from eventgen.cli.commands import finish
from eventgen.runtime.runner import StopFlag, Summary


def summary(generated: int, delivered: int, failed: int, error: str | None = None) -> Summary:
    return Summary(
        mode="stream",
        generated=generated,
        delivered=delivered,
        failed=failed,
        bytes_written=delivered * 480,
        seconds=1.0,
        location="projects/p/topics/t",
        error=error,
    )


def stopped(signal_name: str = "SIGTERM") -> StopFlag:
    flag = StopFlag()
    flag.set(signal_name)
    return flag


def finish_quietly(report: Summary, stop: StopFlag) -> tuple[int, str]:
    """finish() with its stderr summary captured; (exit code, stderr)."""
    err = io.StringIO()
    with redirect_stderr(err):
        code = finish(report, stop)
    return code, err.getvalue()


@pytest.fixture
def log(caplog: pytest.LogCaptureFixture) -> Callable[[], list[tuple[int, str]]]:
    """The (level, message) pairs the ``eventgen`` logger said, from INFO up."""
    caplog.set_level(logging.INFO, logger="eventgen")
    return lambda: [(r.levelno, r.getMessage()) for r in caplog.records if r.name == "eventgen"]


def test_a_clean_stop_says_everything_generated_was_delivered(
    log: Callable[[], list[tuple[int, str]]],
) -> None:
    code, _ = finish_quietly(summary(1000, 1000, 0), stopped())
    assert code == 0
    assert log() == [(logging.INFO, "stopped by SIGTERM after delivering what was generated")]


def test_a_timed_out_flush_after_a_signal_says_what_was_not_delivered_and_why(
    log: Callable[[], list[tuple[int, str]]],
) -> None:
    report = summary(1000, 700, 300, error="pubsub: flush timed out after 2 s")
    code, stderr = finish_quietly(report, stopped())
    assert code == 1
    [(level, text)] = log()
    assert level == logging.WARNING
    assert "after delivering what was generated" not in text
    assert text.startswith("stopped by SIGTERM, but delivery did not complete")
    assert "300 of 1000 generated events not delivered" in text
    assert "flush timed out after 2 s" in text
    assert "eventgen: error: pubsub: flush timed out after 2 s" in stderr


def test_failed_events_without_an_error_are_not_reported_as_delivered(
    log: Callable[[], list[tuple[int, str]]],
) -> None:
    finish_quietly(summary(500, 480, 20), stopped("SIGINT"))
    [(level, text)] = log()
    assert level == logging.WARNING
    assert text.startswith("stopped by SIGINT, but delivery did not complete")
    assert "20 of 500 generated events not delivered (20 failed)" in text


def test_a_run_that_ended_without_a_signal_says_nothing_about_stopping(
    log: Callable[[], list[tuple[int, str]]],
) -> None:
    code, _ = finish_quietly(summary(10, 10, 0), StopFlag())
    assert code == 0
    assert log() == []
