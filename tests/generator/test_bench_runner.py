"""``python -m bench`` finds the benchmark modules and refuses unknown names."""

from __future__ import annotations

import subprocess
import sys

from bench.__main__ import discover


def test_runner_discovers_the_generation_benchmark() -> None:
    assert "generation" in discover()


def test_an_unknown_benchmark_name_is_a_one_line_error_and_exit_2() -> None:
    result = subprocess.run(
        [sys.executable, "-m", "bench", "no_such_bench"], capture_output=True, text=True
    )
    assert result.returncode == 2
    assert result.stderr.strip() == "bench: no benchmark named no_such_bench"


def test_the_runner_is_not_one_of_its_own_benchmarks() -> None:
    # `python -m bench` imports every module it lists; listing itself recursed forever.
    assert "__main__" not in discover()
    assert all(not name.startswith("_") for name in discover())
