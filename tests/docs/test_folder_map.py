"""docs/architecture.md's folder map names every module of the two packages, each in one row.

A newcomer finds where a change goes from that table; a module it does not name is a module
they cannot place. Pure: reads the table and lists the source tree.
"""

from __future__ import annotations

import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
ARCHITECTURE = ROOT / "docs" / "architecture.md"
PACKAGES = ("generator/eventgen", "operator/eventgen_operator")
HEADING = "## Parts, folders, and where a change goes"
_CODE = re.compile(r"`([^`]+)`")


def table_rows(text: str) -> list[list[str]]:
    """The cells of each body row of the folder table (header and separator left out)."""
    section = text.split(HEADING, 1)[1].split("\n## ", 1)[0]
    lines = [line for line in section.splitlines() if line.startswith("|")]
    return [[cell.strip() for cell in line.strip("|").split("|")] for line in lines[2:]]


def named_modules(row: list[str]) -> set[str]:
    """Repository paths of the ``.py`` files a row names.

    A name with a folder (``generator/eventgen/cloud_names.py``) is taken as written; a bare
    or partial one (``model.py``, ``shop/model.py``) is relative to the folder the row's
    first cell names. Rows of other folders (``crds/``, which mentions ``spec.py`` as a file
    to change along) name none.
    """
    folders = [code for code in _CODE.findall(row[0]) if code.endswith("/")]
    folder = folders[0] if folders else ""
    if not folder.startswith(PACKAGES):
        return set()
    named: set[str] = set()
    for code in _CODE.findall(" ".join(row)):
        for word in code.split():
            if not word.endswith(".py"):
                continue
            repo_path = word if word.startswith(PACKAGES) else folder + word
            named.add(repo_path)
    return named


def source_modules() -> list[str]:
    """Every module of the two packages except the ``__init__.py`` files."""
    return sorted(
        path.relative_to(ROOT).as_posix()
        for package in PACKAGES
        for path in (ROOT / package).rglob("*.py")
        if path.name != "__init__.py"
    )


def test_every_module_is_named_in_exactly_one_row() -> None:
    rows = [named_modules(row) for row in table_rows(ARCHITECTURE.read_text(encoding="utf-8"))]
    modules = source_modules()
    assert len(modules) > 60, "the source tree was not found"
    missing = [module for module in modules if not any(module in row for row in rows)]
    doubled = [module for module in modules if sum(module in row for row in rows) > 1]
    assert not missing, f"docs/architecture.md's folder table does not name: {missing}"
    assert not doubled, f"named in more than one row of the folder table: {doubled}"


def test_the_table_names_no_module_that_does_not_exist() -> None:
    rows = table_rows(ARCHITECTURE.read_text(encoding="utf-8"))
    named = set().union(*(named_modules(row) for row in rows))
    stale = sorted(path for path in named if not (ROOT / path).is_file())
    assert not stale, f"the folder table names modules that do not exist: {stale}"


def test_a_module_left_out_of_the_table_is_reported() -> None:
    # The check itself: a table without the shop's row misses the shop's modules.
    text = ARCHITECTURE.read_text(encoding="utf-8")
    rows = [row for row in table_rows(text) if "eventgen/shop/" not in row[0]]
    named = set().union(*(named_modules(row) for row in rows))
    assert "generator/eventgen/shop/catalog.py" not in named
    assert "generator/eventgen/shop/catalog.py" in source_modules()
