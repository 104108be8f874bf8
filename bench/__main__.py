"""Run every bench module with a ``main()``: ``python -m bench [names] [--quick]``.

Names select modules (``python -m bench generation``); ``--quick`` is passed on to each.
Exits non-zero if any benchmark fails or misses its goal.
"""

from __future__ import annotations

import importlib
import pkgutil
import subprocess
import sys
import traceback
from pathlib import Path


def discover() -> list[str]:
    """Names of the benchmark modules, in alphabetical order."""
    folder = str(Path(__file__).parent)
    # Private modules (this runner among them) are never benchmarks: importing
    # `bench.__main__` from `python -m bench` would run the runner again, recursively.
    return sorted(
        info.name
        for info in pkgutil.iter_modules([folder])
        if not info.ispkg and not info.name.startswith("_")
    )


RUN_ONE = "--run-one"


def main(argv: list[str] | None = None) -> int:
    args = sys.argv[1:] if argv is None else argv
    if args[:1] == [RUN_ONE]:
        return run_one(args[1], args[2:])
    wanted = [arg for arg in args if not arg.startswith("-")]
    passed_on = [arg for arg in args if arg.startswith("-")]
    unknown = set(wanted) - set(discover())
    if unknown:
        print(f"bench: no benchmark named {', '.join(sorted(unknown))}", file=sys.stderr)
        return 2
    status = 0
    for name in discover():
        if wanted and name not in wanted:
            continue
        module = importlib.import_module(f"bench.{name}")
        if not callable(getattr(module, "main", None)):
            continue  # a helper module, not a benchmark
        print(f"== bench {name}", flush=True)
        # Each benchmark runs in a process of its own: resident-memory figures and
        # CPU pinning must not inherit what an earlier benchmark left behind.
        code = subprocess.call([sys.executable, "-m", "bench", RUN_ONE, name, *passed_on])
        status = status or code
    return status


def run_one(name: str, argv: list[str]) -> int:
    """Run one benchmark's main() in this process; an exception is a failure (exit 1)."""
    entry = importlib.import_module(f"bench.{name}").main
    try:
        return int(entry(argv) or 0)
    except Exception:
        traceback.print_exc()
        return 1


if __name__ == "__main__":
    raise SystemExit(main())
