"""Every dotted name of the project's code the docs mention (``eventgen.shop.model``,
``eventgen_operator.memory_kubeapi.MemoryKubeApi``) still names a module or an attribute,
and every source file they name (``generator/eventgen/contract.py``, ``tests/support/clock.py``,
``eventgen/shop/model.py``) is still there.

Modules move (the generator's folders did); a page that sends a reader to a name that no
longer exists is worse than none. Imports the named modules, nothing more.
"""

from __future__ import annotations

import importlib
import re
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
PAGES = [ROOT / "README.md", *sorted((ROOT / "docs").rglob("*.md"))]
DOTTED = re.compile(r"\beventgen(?:_operator)?(?:\.[A-Za-z_]\w*)+")
SOURCE_FILE = re.compile(
    r"`((?:generator|operator|tests|bench|scripts|eventgen|eventgen_operator)/[\w/.-]+\.py)`"
)
# A path from inside a package folder, as pages often write it.
PACKAGE_FOLDERS = {"eventgen": "generator/", "eventgen_operator": "operator/"}


def resolves(name: str) -> bool:
    """Whether ``name`` is a module, or an attribute chain from the longest module prefix."""
    parts = name.split(".")
    for split in range(len(parts), 0, -1):
        try:
            found: object = importlib.import_module(".".join(parts[:split]))
        except ImportError:
            continue
        for attribute in parts[split:]:
            if not hasattr(found, attribute):
                return False
            found = getattr(found, attribute)
        return True
    return False


def mentioned() -> dict[str, list[str]]:
    """Each dotted name, with the pages that mention it."""
    names: dict[str, list[str]] = {}
    for page in PAGES:
        for name in set(DOTTED.findall(page.read_text(encoding="utf-8"))):
            names.setdefault(name, []).append(page.relative_to(ROOT).as_posix())
    return names


def test_every_dotted_name_in_the_docs_exists() -> None:
    names = mentioned()
    assert len(names) > 20, "too few names found: did the pattern or the pages move?"
    stale = {name: pages for name, pages in sorted(names.items()) if not resolves(name)}
    assert stale == {}, f"docs name code that does not exist: {stale}"


@pytest.mark.parametrize(
    ("name", "exists"),
    [
        ("eventgen.shop.model", True),
        ("eventgen.sinks.memory.MemorySink", True),
        ("eventgen_operator.memory_kubeapi.MemoryKubeApi", True),
        ("eventgen.model", False),  # the module before the shop/ folder
        ("eventgen.sinks.memory.NoSuchSink", False),
        ("eventgen_operator.no_such_module", False),
    ],
)
def test_the_check_tells_a_moved_name_from_a_present_one(name: str, exists: bool) -> None:
    assert resolves(name) is exists


def test_every_source_file_the_docs_name_exists() -> None:
    named: dict[str, list[str]] = {}
    for page in PAGES:
        for path in set(SOURCE_FILE.findall(page.read_text(encoding="utf-8"))):
            named.setdefault(path, []).append(page.relative_to(ROOT).as_posix())
    assert len(named) > 20, "too few paths found: did the pattern or the pages move?"
    missing = {
        path: pages
        for path, pages in sorted(named.items())
        if not (ROOT / (PACKAGE_FOLDERS.get(path.split("/")[0], "") + path)).is_file()
    }
    assert missing == {}, f"docs name files that do not exist: {missing}"
