"""Replica math: replicas = ceil(rate / maxRatePerReplica), each pod gets rate / replicas."""

from __future__ import annotations

import pytest

from eventgen_operator.children import format_rate
from eventgen_operator.sizing import StreamingShape, streaming_shape


@pytest.mark.parametrize(
    ("rate", "max_per_replica", "replicas", "per_replica"),
    [
        (100, 5000, 1, 100.0),
        (5000, 5000, 1, 5000.0),
        (5001, 5000, 2, 2500.5),
        (50_000, 5000, 10, 5000.0),
        (50_001, 5000, 11, 50_001 / 11),
        (0.5, 5000, 1, 0.5),
        (0.3, 0.1, 3, 0.1),  # binary floats would say 4 replicas here
        (10_000_000, 10_000, 1000, 10_000.0),
        (0, 5000, 0, 0.0),
    ],
)
def test_replicas_cover_the_rate_without_exceeding_the_per_replica_cap(
    rate: float, max_per_replica: float, replicas: int, per_replica: float
) -> None:
    shape = streaming_shape(rate, max_per_replica, suspended=False)
    assert shape.replicas == replicas
    assert shape.rate_per_replica == pytest.approx(per_replica)
    assert shape.rate_per_replica <= max_per_replica
    assert shape.replicas * shape.rate_per_replica == pytest.approx(rate)


def test_suspend_scales_to_zero_but_keeps_the_rate_pods_resume_with() -> None:
    assert streaming_shape(50_000, 5000, suspended=True) == StreamingShape(0, 5000.0)


@pytest.mark.parametrize(
    ("rate", "text"),
    [(5000.0, "5000"), (100.0, "100"), (0.0, "0"), (0.5, "0.5"), (1000 / 3, "333.333")],
)
def test_rates_are_written_as_plain_decimals(rate: float, text: str) -> None:
    assert format_rate(rate) == text
    assert float(text) == pytest.approx(rate, abs=0.001)
