"""The live shape inputs: a bad edit keeps the shape in force; an absent key is flat."""

from __future__ import annotations

from pathlib import Path

from eventgen.runtime.liveshape import ShapeFileWatcher, configmap_shape_listener
from eventgen.shape.document import Shape


def configmap(data: dict[str, str]) -> dict[str, object]:
    return {"metadata": {"namespace": "ns", "name": "gen-live"}, "data": data}


def test_the_configmaps_shape_applies_once_per_change_and_a_typo_keeps_the_last() -> None:
    seen: list[Shape] = []
    listen = configmap_shape_listener(seen.append)
    listen(configmap({"ratePerReplica": "10", "shape": '{"daily":true}'}))
    listen(configmap({"ratePerReplica": "20", "shape": '{"daily":true}'}))  # rate only
    listen(configmap({"ratePerReplica": "20", "shape": '{"daily":"often"}'}))  # a typo
    listen(configmap({"ratePerReplica": "20"}))  # the shape removed: flat again
    assert seen == [Shape(daily=True), Shape()]


def test_a_shape_file_edit_is_reported_and_a_broken_one_ignored(tmp_path: Path) -> None:
    path = tmp_path / "shape.yaml"
    path.write_text("daily: true\n")
    seen: list[Shape] = []
    watcher = ShapeFileWatcher(path, seen.append)
    watcher.start()
    watcher.stop()
    watcher.poll()  # unchanged since start: nothing
    path.write_text("daily: [\n")
    watcher.poll()
    path.write_text("stages: [{factor: 2, durationSeconds: 5}]\n")
    watcher.poll()
    assert [s.document() for s in seen] == ['{"stages":[{"durationSeconds":5.0,"factor":2.0}]}']


def test_metrics_export_the_base_the_factor_and_the_curves_integral() -> None:
    from prometheus_client import generate_latest

    from eventgen.runtime.metrics import Metrics
    from eventgen.runtime.shapedpacing import ShapedPacer
    from eventgen.shape.curve import Curve
    from eventgen.shape.document import parse_shape

    now = [100.0]
    shape = parse_shape({"stages": [{"factor": 3, "durationSeconds": 10}]}, "t")
    pacer = ShapedPacer(
        50.0, Curve(shape, anchor=1_000_000.0), clock=lambda: now[0], wall=1_000_000.0
    )
    metrics = Metrics()
    metrics.follow_shape(pacer)
    now[0] += 20.0  # 10 s at x3, then x3 holds: 20 s x 150/s
    text = generate_latest(metrics.registry).decode()
    assert "eventgen_base_rate_events_per_second 50.0" in text
    assert "eventgen_shape_factor 3.0" in text
    assert "eventgen_target_events_total 3000.0" in text
