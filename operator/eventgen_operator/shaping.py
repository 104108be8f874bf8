"""A shaped stream's plan at one moment: replicas for the coming window, the rate now, and
the next change, from the generator's own curve arithmetic (:mod:`eventgen.shape.curve`).

The pods follow the curve themselves (the shape travels in the live ConfigMap); the
operator only re-plans every few seconds: replicas are sized for the highest rate of the
next :data:`SIZING_WINDOW_SECONDS`, so pods are up before a peak and leave after it, and
each pod's base is ``spec.rate / replicas`` (what it multiplies by the shape). Stages
without ``spec.shape.start`` are anchored at the EventGenerator's creation, so every pod,
and every re-plan, agrees on where in the stages the stream is.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import datetime

from eventgen.shape.curve import Change, Curve
from eventgen.shape.document import Shape
from eventgen.shop.arrivals import UTC_OFFSET_HOURS
from eventgen_operator.sizing import StreamingShape
from eventgen_operator.spec import GeneratorSpec

SIZING_WINDOW_SECONDS = 300.0
"""Wall seconds ahead whose highest rate sets the replicas (pods start well within it)."""
REPLAN_SECONDS = 15.0
"""Longest wait between two plans of a shaped generator (status and replicas stay fresh)."""
MIN_REPLAN_SECONDS = 1.0


@dataclass(frozen=True)
class ShapedPlan:
    """What a shaped streaming generator needs now (rates in events/s over all replicas)."""

    streaming: StreamingShape
    document: str
    current_rate: float
    sized_for_rate: float
    next_change: Change | None
    replan_in: float


def shape_of(spec: GeneratorSpec, created: datetime) -> Shape:
    """The spec's shape with its start resolved (the creation time when not given)."""
    shape = Shape.model_validate(spec.shape or {})
    return shape if shape.start is not None else shape.model_copy(update={"start": created})


def plan_shaped(spec: GeneratorSpec, created: datetime, now: datetime) -> ShapedPlan:
    """The plan at ``now`` for a streaming spec with a shape (pure)."""
    shape = shape_of(spec, created)
    curve = Curve(shape, UTC_OFFSET_HOURS[spec.events.locale], created.timestamp())
    moment = now.timestamp()
    peak = spec.rate * curve.peak(moment, moment + SIZING_WINDOW_SECONDS)
    if spec.rate <= 0:
        streaming = StreamingShape(replicas=0, rate_per_replica=0.0)
    else:
        # At least one pod while the rate is above 0, so a zero stretch of the shape
        # resumes without a pod start.
        replicas = max(1, math.ceil(peak / spec.max_rate_per_replica - 1e-9))
        streaming = StreamingShape(
            replicas=0 if spec.suspend else replicas, rate_per_replica=spec.rate / replicas
        )
    change = curve.next_change(moment)
    until = change.at - moment if change else REPLAN_SECONDS
    return ShapedPlan(
        streaming=streaming,
        document=shape.document(),
        current_rate=spec.rate * curve.factor(moment),
        sized_for_rate=peak,
        next_change=Change(change.at, spec.rate * change.factor) if change else None,
        replan_in=min(REPLAN_SECONDS, max(MIN_REPLAN_SECONDS, until)),
    )
