"""Run every bench module with a ``main()``: ``python -m bench [names] [--quick]``.

Names select modules (``python -m bench generation``); ``--quick`` is passed on to each.
Exits non-zero if any benchmark fails or misses its goal.
"""

from __future__ import annotations

import importlib
import pkgutil
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


def main(argv: list[str] | None = None) -> int:
    args = sys.argv[1:] if argv is None else argv
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
        entry = getattr(module, "main", None)
        if not callable(entry):
            continue  # a helper module, not a benchmark
        print(f"== bench {name}", flush=True)
        try:
            code = entry(passed_on)
        except Exception:
            traceback.print_exc()
            code = 1
        status = status or (code or 0)
    return status


if __name__ == "__main__":
    raise SystemExit(main())
