"""The pictures in docs/shapes/ are drawn from the real curve code and kept current."""

from __future__ import annotations

import importlib.util
from pathlib import Path
from types import ModuleType

from eventgen.shape.curve import Curve
from eventgen.shape.document import parse_shape

ROOT = Path(__file__).resolve().parents[2]


def plots() -> ModuleType:
    spec = importlib.util.spec_from_file_location(
        "gen_shape_plots", ROOT / "scripts" / "gen_shape_plots.py"
    )
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_every_committed_picture_is_what_the_curve_code_draws_today() -> None:
    module = plots()
    pictures: dict[Path, str] = module.render()
    assert {p.stem for p in pictures} == {
        p.stem for p in (ROOT / "examples" / "shapes").glob("*.yaml")
    }
    for path, text in pictures.items():
        assert path.exists(), f"{path} missing: run scripts/gen_shape_plots.py"
        assert path.read_text(encoding="utf-8") == text, (
            f"{path} stale: run scripts/gen_shape_plots.py"
        )


def test_a_picture_follows_the_curve_so_a_changed_rule_makes_it_stale() -> None:
    module = plots()
    shape = parse_shape(
        {"bursts": [{"at": "20:00", "every": "day", "durationSeconds": 1800, "factor": 3}]}, "t"
    )
    drawn = module.svg("t", module.points(Curve(shape, anchor=module.MONDAY), 86_400.0), 86_400.0)
    other = parse_shape(
        {"bursts": [{"at": "20:00", "every": "day", "durationSeconds": 1800, "factor": 4}]}, "t"
    )
    redrawn = module.svg("t", module.points(Curve(other, anchor=module.MONDAY), 86_400.0), 86_400.0)
    assert drawn != redrawn


def test_the_shapes_page_shows_every_picture() -> None:
    page = (ROOT / "docs" / "shapes.md").read_text(encoding="utf-8")
    for path in (ROOT / "docs" / "shapes").glob("*.svg"):
        assert f"shapes/{path.name}" in page
