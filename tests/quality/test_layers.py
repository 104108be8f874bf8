"""The generator's folders stack in one direction: a part imports only the parts below it.

A newcomer can then read the code bottom-up, and a change in the command line cannot break
the shop. The order, from the bottom: what every part shares (``bounds``, ``errors``,
``contract``, ``cloud_names``), the ``shop``, the ``shape`` of a stream, the ``sinks``, the
``runtime``, ``audit``, the ``cli`` and the ``demo``. The operator stands beside the command
line: it may use the generator's shared rules, shop, shape and runtime, never its CLI.
"""

from __future__ import annotations

import ast
from collections.abc import Iterator
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
GENERATOR = ROOT / "generator" / "eventgen"
OPERATOR = ROOT / "operator" / "eventgen_operator"
SHARED = {"eventgen", "bounds", "errors", "contract", "cloud_names"}
LAYERS = ["shared", "shop", "shape", "sinks", "runtime", "audit", "cli", "demo"]
OPERATOR_MAY_USE = {"shared", "shop", "shape", "runtime"}


def part_of(module: str) -> str | None:
    """The generator part of a dotted module name (None for other packages)."""
    parts = module.split(".")
    if parts[0] != "eventgen":
        return None
    part = parts[1] if len(parts) > 1 else "eventgen"
    return "shared" if part in SHARED else part


def imported(path: Path) -> Iterator[str]:
    """Every module ``path`` imports (``from a.b import c`` counts as ``a.b``)."""
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            yield node.module
        elif isinstance(node, ast.Import):
            yield from (alias.name for alias in node.names)


def module_name(path: Path) -> str:
    """``generator/eventgen/shop/model.py`` -> ``eventgen.shop.model`` (a package's
    ``__init__.py`` is the package)."""
    parts = path.relative_to(GENERATOR.parent).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def upward_imports() -> list[str]:
    found = []
    for path in sorted(GENERATOR.rglob("*.py")):
        mine = part_of(module_name(path))
        assert mine in LAYERS, f"{path} is in no layer: add its folder to LAYERS"
        for target in imported(path):
            theirs = part_of(target)
            if theirs is not None and LAYERS.index(theirs) > LAYERS.index(mine):
                found.append(f"{module_name(path)} ({mine}) imports {target} ({theirs})")
    return found


def test_no_part_of_the_generator_imports_a_part_above_it() -> None:
    assert upward_imports() == []


def test_the_operator_uses_no_part_of_the_generator_above_its_runtime() -> None:
    found = [
        f"{path.relative_to(ROOT)} imports {target}"
        for path in sorted(OPERATOR.rglob("*.py"))
        for target in imported(path)
        if (part_of(target) or "shared") not in OPERATOR_MAY_USE
    ]
    assert found == []


@pytest.mark.parametrize(
    ("module", "part"),
    [
        ("eventgen", "shared"),
        ("eventgen.bounds", "shared"),
        ("eventgen.shop.generation", "shop"),
        ("eventgen.cli.main", "cli"),
        ("eventgen_operator.children", None),
        ("numpy", None),
    ],
)
def test_modules_are_placed_in_their_part(module: str, part: str | None) -> None:
    assert part_of(module) == part
