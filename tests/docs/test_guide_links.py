"""The README and every docs page link only to files and headings that exist."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
DOCS = ROOT / "docs"
# Every page a user reads: the README and the whole of docs/.
GUIDE = ["../README.md", *sorted(str(p.relative_to(DOCS)) for p in DOCS.rglob("*.md"))]
LINK = re.compile(r"\]\(([^)\s]+)\)")
# Code spans render as text, not links (a regex such as `[a-z]([-a-z]*)` in the CRD reference).
CODE_SPAN = re.compile(r"`[^`\n]*`")


def slug(heading: str) -> str:
    """GitHub's anchor for a heading: lower case, punctuation dropped, spaces to hyphens."""
    text = re.sub(r"[^\w\- ]", "", heading.strip().lower())
    return text.replace(" ", "-")


def anchors(page: Path) -> set[str]:
    text = re.sub(r"```.*?```", "", page.read_text(encoding="utf-8"), flags=re.S)
    return {slug(m.group(1)) for m in re.finditer(r"^#{1,6} (.+)$", text, flags=re.M)}


def test_slug_matches_githubs_rule() -> None:
    assert slug("Sinks (`--sink`, default `jsonl`)") == "sinks---sink-default-jsonl"
    assert slug("PERMISSION_DENIED from Pub/Sub") == "permission_denied-from-pubsub"


@pytest.mark.parametrize("name", GUIDE)
def test_every_relative_link_and_anchor_exists(name: str) -> None:
    page = DOCS / name
    for target in LINK.findall(CODE_SPAN.sub("", page.read_text(encoding="utf-8"))):
        if target.startswith(("http://", "https://")):
            continue
        path, _, anchor = target.partition("#")
        linked = (page.parent / path).resolve() if path else page
        assert linked.exists(), f"{name}: {target} does not exist"
        if anchor:
            assert anchor in anchors(linked), f"{name}: no heading for #{anchor} in {path or name}"
