"""Every function of the shipped code is simple enough to read at a glance.

The measure is radon's cyclomatic complexity (``radon cc``: one per branch, loop, boolean
operator and comprehension condition), the number a reader gets from the command line.
Above 15 a function has more paths than a reader keeps in mind; the fix is to split it by
what it decides (as ``eventgen_operator.status`` does: a phase choice, then one builder per
condition).
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from pathlib import Path

from radon.complexity import cc_visit
from radon.visitors import Class, Function

ROOT = Path(__file__).resolve().parents[2]
SHIPPED = ("generator", "operator", "bench")
LIMIT = 15


def functions(blocks: Iterable[Function | Class]) -> Iterator[Function]:
    """Every function, method and closure, however deep (a class's own number is only the
    sum of its methods', so the methods are what is measured)."""
    for block in blocks:
        if isinstance(block, Class):
            yield from functions(block.methods)
            yield from functions(block.inner_classes)
        else:
            yield block
            yield from functions(block.closures)


def test_no_function_of_the_shipped_code_is_over_the_complexity_limit() -> None:
    files = [path for folder in SHIPPED for path in sorted((ROOT / folder).rglob("*.py"))]
    assert len(files) > 50, f"only {len(files)} modules found under {ROOT}: wrong root?"
    too_complex = [
        f"{path.relative_to(ROOT)}:{function.lineno} {function.fullname} ({function.complexity})"
        for path in files
        for function in functions(cc_visit(path.read_text()))
        if function.complexity > LIMIT
    ]
    assert too_complex == [], f"over complexity {LIMIT}: {too_complex}"
