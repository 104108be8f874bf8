#!/usr/bin/env python3
"""Draw each shape in examples/shapes/ as an SVG in docs/shapes/, from the real curve code.

    python scripts/gen_shape_plots.py            # redraw the pictures
    python scripts/gen_shape_plots.py --check    # exit 1 if a committed picture is stale

The factor is sampled by eventgen.shape.curve itself (plus both sides of every breakpoint, so
steps are drawn as steps), so a change to the curve arithmetic changes the pictures, and
tests/docs/test_shape_plots.py fails until they are redrawn. Plain SVG, no plotting
library: the output is the same on every machine.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "generator"))

from eventgen.shape.curve import Curve  # noqa: E402
from eventgen.shape.document import parse_shape  # noqa: E402

SHAPES = ROOT / "examples" / "shapes"
OUTPUT = ROOT / "docs" / "shapes"
MONDAY = 1_795_392_000.0  # 2026-11-23 00:00 UTC, a Monday: every plot starts there
# Wall seconds drawn per shape (a shape not listed: one day).
SPANS = {"daily-with-sale": 2 * 86_400.0, "ramp-steps": 1_320.0, "day-in-minutes": 900.0}
WIDTH, HEIGHT, LEFT, BOTTOM, TOP, RIGHT = 720, 240, 48, 32, 12, 12
SAMPLES = 720


def points(curve: Curve, span: float) -> list[tuple[float, float]]:
    """(seconds from the start, factor) along the span, steps drawn vertically."""
    times = {MONDAY + span * i / SAMPLES for i in range(SAMPLES + 1)}
    nudge = 1e-3 / curve.shape.time_scale
    for point in curve.breakpoints(MONDAY, MONDAY + span):
        times |= {point - nudge, point}
    return [(t - MONDAY, curve.factor(t)) for t in sorted(times)]


def svg(name: str, data: list[tuple[float, float]], span: float) -> str:
    """The picture: the factor over time, with a y axis in x-multiples of the base."""
    top = max(1.0, max(f for _, f in data)) * 1.1
    plot_w, plot_h = WIDTH - LEFT - RIGHT, HEIGHT - TOP - BOTTOM

    def xy(t: float, f: float) -> str:
        return f"{LEFT + t / span * plot_w:.1f},{TOP + (1 - f / top) * plot_h:.1f}"

    line = " ".join(xy(t, f) for t, f in data)
    base_y = TOP + (1 - 1 / top) * plot_h
    unit, label = (3600.0, "h") if span >= 7200 else (60.0, "min")
    ticks = []
    step = max(1, round(span / unit / 8))
    for k in range(0, int(span / unit) + 1, step):
        x = LEFT + k * unit / span * plot_w
        ticks.append(f'<text x="{x:.1f}" y="{HEIGHT - 12}" text-anchor="middle">{k}{label}</text>')
    return "\n".join(
        [
            f'<svg xmlns="http://www.w3.org/2000/svg" width="{WIDTH}" height="{HEIGHT}" '
            f'viewBox="0 0 {WIDTH} {HEIGHT}" font-family="sans-serif" font-size="11">',
            f"<title>{name}: rate / base over time</title>",
            f'<rect x="{LEFT}" y="{TOP}" width="{plot_w}" height="{plot_h}" fill="#fafafa" '
            'stroke="#999"/>',
            f'<line x1="{LEFT}" y1="{base_y:.1f}" x2="{WIDTH - RIGHT}" y2="{base_y:.1f}" '
            'stroke="#bbb" stroke-dasharray="4 3"/>',
            f'<text x="{LEFT - 4}" y="{base_y + 4:.1f}" text-anchor="end">x1</text>',
            f'<text x="{LEFT - 4}" y="{TOP + 10}" text-anchor="end">x{top:.3g}</text>',
            f'<text x="{LEFT - 4}" y="{HEIGHT - BOTTOM}" text-anchor="end">0</text>',
            *ticks,
            f'<polyline fill="none" stroke="#1f6fb2" stroke-width="1.5" points="{line}"/>',
            "</svg>",
            "",
        ]
    )


def render() -> dict[Path, str]:
    """Every picture, by output path."""
    pictures = {}
    for path in sorted(SHAPES.glob("*.yaml")):
        shape = parse_shape(path.read_text(encoding="utf-8"), str(path))
        curve = Curve(shape, utc_offset_hours=0, anchor=MONDAY)
        span = SPANS.get(path.stem, 86_400.0)
        pictures[OUTPUT / f"{path.stem}.svg"] = svg(path.stem, points(curve, span), span)
    return pictures


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--check", action="store_true", help="fail if a picture is stale")
    args = parser.parse_args()
    pictures = render()
    stale = [p for p, text in pictures.items() if not p.exists() or p.read_text() != text]
    if args.check:
        for path in stale:
            print(f"stale: {path.relative_to(ROOT)} (run scripts/gen_shape_plots.py)")
        return 1 if stale else 0
    OUTPUT.mkdir(parents=True, exist_ok=True)
    for path, text in pictures.items():
        path.write_text(text, encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main())
