"""A signal in the first moments of a run (while the generator and its clients are still
being imported and built) ends it cleanly: the summary, exit 0, no traceback.

Before, SIGTERM in the first ~1.5 s killed the process with 143 and no summary, and
SIGINT printed a traceback. The handlers now go in as the command starts; the test sends
the signal as soon as they are there (seen in /proc: the process catches SIGTERM).
"""

from __future__ import annotations

import signal
import subprocess
import time
from pathlib import Path

import pytest

from tests.support.cli_process import clean_env, eventgen_command, summary


def catches(pid: int, signum: int) -> bool:
    """True once process ``pid`` has a handler for ``signum`` (its SigCgt mask)."""
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("SigCgt:"):
            return bool(int(line.split()[1], 16) >> (signum - 1) & 1)
    return False


def numpy_loaded(pid: int) -> bool:
    """True once the process has mapped numpy's core library (the generator is imported)."""
    return "_multiarray_umath" in Path(f"/proc/{pid}/maps").read_text()


def signal_as_soon_as_handled(args: list[str], signum: int, cwd: Path) -> tuple[int, str, bool]:
    """Run ``eventgen ARGS``, send ``signum`` the moment it handles SIGTERM; return the exit
    code, stderr, and whether the generator (numpy) was already loaded at that moment."""
    process = subprocess.Popen(
        eventgen_command(*args),
        env=clean_env(),
        cwd=cwd,
        stderr=subprocess.PIPE,
        stdout=subprocess.DEVNULL,
    )
    deadline = time.monotonic() + 60
    while not catches(process.pid, signal.SIGTERM):
        assert process.poll() is None, "the command ended before handling signals"
        assert time.monotonic() < deadline
        time.sleep(0.001)
    process.send_signal(signum)
    loaded = numpy_loaded(process.pid)
    _, stderr = process.communicate(timeout=120)
    return process.returncode, stderr.decode(), loaded


@pytest.mark.skipif(not Path("/proc/self/status").exists(), reason="needs Linux /proc")
@pytest.mark.parametrize("signum", [signal.SIGTERM, signal.SIGINT])
@pytest.mark.parametrize(
    "args",
    [
        ["stream", "--rate", "1000", "--output", "out/"],
        ["batch", "--events", "2000000", "--output", "out/"],
    ],
    ids=["stream", "batch"],
)
def test_a_signal_during_start_up_ends_with_the_summary_and_exit_0(
    args: list[str], signum: signal.Signals, tmp_path: Path
) -> None:
    code, stderr, generator_loaded = signal_as_soon_as_handled(args, signum, tmp_path)
    # The handlers are there before the second or so of imports and set-up, not after.
    assert not generator_loaded, "signals were handled only once the generator was loaded"
    assert code == 0, stderr
    assert "Traceback" not in stderr
    fields = summary(stderr)
    assert fields["delivered"] == fields["generated"]
    assert f"stopped by {signum.name}" in stderr
    if args[0] == "batch":
        assert int(fields["generated"]) < 2_000_000
