"""How many generator pods run and how fast each goes: the one owner of the replica math.

A reconcile sizes a generator once (`streaming_shape`, or a shaped stream's plan in
shaping.py) and hands the same `StreamingShape` to the builders (children.py: the
Deployment's replicas, the live ConfigMap's per-replica rate) and to the status
(status.py: replicas wanted, rate per replica), so the three can never disagree.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from decimal import Decimal

from eventgen_operator.spec import GeneratorSpec


@dataclass(frozen=True)
class StreamingShape:
    """How a streaming rate is spread: `replicas` pods at `rate_per_replica` events/s each."""

    replicas: int
    rate_per_replica: float


def streaming_shape(rate: float, max_rate_per_replica: float, suspended: bool) -> StreamingShape:
    """Replicas = ceil(rate / maxRatePerReplica); each pod gets rate / replicas events/s.

    Decimal arithmetic on the numbers as written, so 0.3 / 0.1 is 3 replicas, not 4.
    Rate 0 pauses with 0 replicas (nothing idles); suspend keeps the per-replica rate the
    pods will resume with but scales to 0.
    """
    exact_rate = Decimal(repr(float(rate)))
    exact_max = Decimal(repr(float(max_rate_per_replica)))
    if exact_rate <= 0:
        return StreamingShape(replicas=0, rate_per_replica=0.0)
    replicas = math.ceil(exact_rate / exact_max)
    per_replica = float(exact_rate / replicas)
    return StreamingShape(replicas=0 if suspended else replicas, rate_per_replica=per_replica)


def flat_shape(spec: GeneratorSpec) -> StreamingShape:
    """The shape of a streaming spec without `spec.shape` (a shaped one is planned by
    eventgen_operator.shaping.plan_shaped)."""
    return streaming_shape(spec.rate, spec.max_rate_per_replica, spec.suspend)


def batch_parallelism(spec: GeneratorSpec) -> int:
    """Shards running at once: the spec's parallelism (default all shards); 0 when suspended."""
    assert spec.batch is not None
    if spec.suspend:
        return 0
    return spec.batch.parallelism or spec.batch.shards
