"""Counter-based random draws: every value is a pure function of (seed, counter, field).

Events are generated in columns and in batches of any size; drawing each value from a
hash of its own coordinates (order number, event type, field) instead of from a sequential
generator makes the output independent of how the work was batched, and lets the emitter
recompute an order's attributes instead of storing them for days of simulated time.
The mixer is SplitMix64's finalizer (Steele et al., 2014), vectorized over numpy arrays.
"""

from __future__ import annotations

from enum import IntEnum

import numpy as np
import numpy.typing as npt

U64 = npt.NDArray[np.uint64]
I64 = npt.NDArray[np.int64]
F64 = npt.NDArray[np.float64]

_GOLDEN = np.uint64(0x9E3779B97F4A7C15)
_MUL1 = np.uint64(0xBF58476D1CE4E5B9)
_MUL2 = np.uint64(0x94D049BB133111EB)
_MASK64 = (1 << 64) - 1


class Field(IntEnum):
    """Independent random streams; each draw names the one it uses."""

    GAP = 1
    PATH = 2
    REFUND = 3
    PAY_DELAY = 4
    SHIP_DELAY = 5
    DELIVER_DELAY = 6
    CANCEL_DELAY = 7
    REFUND_DELAY = 8
    WARMUP_AGE = 9
    CUSTOMER = 20
    PRODUCT = 21
    QUANTITY = 22
    DISCOUNT = 23
    DISCOUNT_PERCENT = 24
    PAYMENT = 25
    DEVICE = 26
    CHANNEL = 27
    ORDER_ID = 28
    EVENT_ID_HIGH = 30
    EVENT_ID_LOW = 31
    FAULT = 40
    LATENESS = 41
    DUPLICATE_DELAY = 42
    MALFORMATION = 43


def _mix(values: U64) -> U64:
    """SplitMix64 finalizer: a bijection on 64-bit words with full avalanche."""
    z = values
    z = (z ^ (z >> np.uint64(30))) * _MUL1
    z = (z ^ (z >> np.uint64(27))) * _MUL2
    return z ^ (z >> np.uint64(31))


def _mix_int(value: int) -> int:
    z = value & _MASK64
    z = ((z ^ (z >> 30)) * 0xBF58476D1CE4E5B9) & _MASK64
    z = ((z ^ (z >> 27)) * 0x94D049BB133111EB) & _MASK64
    return z ^ (z >> 31)


class CounterRandom:
    """Random draws addressed by (counter, field) under one seed."""

    def __init__(self, seed: int) -> None:
        self.seed = seed
        # A second key per field feeds the angle of Box-Muller normals.
        self._keys = {
            (field, part): np.uint64(
                _mix_int(seed * 0x2545F4914F6CDD1D + (2 * field + part) * 0x9E3779B97F4A7C15 + 1)
            )
            for field in Field
            for part in (0, 1)
        }

    def bits(self, counters: I64, field: Field, part: int = 0) -> U64:
        """64 random bits per counter (counters may be negative)."""
        with np.errstate(over="ignore"):
            return _mix(counters.astype(np.uint64) * _GOLDEN + self._keys[field, part])

    def uniform(self, counters: I64, field: Field, part: int = 0) -> F64:
        """Uniform floats in the open interval (0, 1), one per counter."""
        top53 = (self.bits(counters, field, part) >> np.uint64(11)).astype(np.float64)
        return (top53 + 0.5) * (1.0 / (1 << 53))

    def normal(self, counters: I64, field: Field) -> F64:
        """Standard normal floats (Box-Muller over two streams of ``field``)."""
        radius = np.sqrt(-2.0 * np.log(self.uniform(counters, field)))
        angle = (2.0 * np.pi) * self.uniform(counters, field, part=1)
        return radius * np.cos(angle)

    def choice(self, counters: I64, field: Field, cumulative: F64) -> I64:
        """Index drawn from a categorical distribution given its cumulative weights (sum 1)."""
        picks = np.searchsorted(cumulative, self.uniform(counters, field), side="right")
        return np.minimum(picks, len(cumulative) - 1).astype(np.int64)


def cumulative_weights(weights: list[float] | npt.NDArray[np.float64]) -> F64:
    """Normalized cumulative weights for :meth:`CounterRandom.choice`."""
    array = np.asarray(weights, dtype=np.float64)
    if array.ndim != 1 or len(array) == 0 or (array < 0).any() or array.sum() <= 0:
        raise ValueError("weights must be a non-empty list of non-negative numbers")
    cumulative = np.cumsum(array / array.sum())
    cumulative[-1] = 1.0
    return cumulative
