"""Opt-in faults: duplicated, late and malformed events, decided per event by its own draw.

One uniform draw per event (keyed by order number and event type) picks at most one fault:
``[0, duplicate)`` duplicate, then late, then malformed; so the rates are exact shares of
events and an event's fault never depends on batching.

* duplicate: the event is emitted on time, and once more (same event_id and content, new
  sequence) between 0 and 60 simulated seconds later, as an at-least-once pipeline redelivers.
* late: the event is held back by up to ``max_lateness_seconds`` of simulated time, so it is
  emitted after events up to that much newer than it.
* malformed: the payload is broken in one of three ways, chosen by another draw
  (see :data:`MALFORMATIONS`).
"""

from __future__ import annotations

import numpy as np

from eventgen.shop.lifecycle import MICROS, ScheduledEvents
from eventgen.shop.options import GeneratorOptions
from eventgen.shop.randomness import I64, CounterRandom, Field

TYPE_MASK = 0b111
LATE = 0b1000
DUPLICATE_COPY = 0b10000
MALFORMED = 0b100000
DUPLICATE_DELAY_MAX_SECONDS = 60.0
# What a malformed payload looks like, by variant number.
MALFORMATIONS = (
    "truncated: the JSON text is cut off after its first half (not parseable)",
    'missing_field: the required "order_id" key is removed',
    'wrong_type: "quantity" is the string "many" instead of an integer',
)


def event_counters(orders: I64, types: I64) -> I64:
    """Counter of each (order, event type) pair for per-event draws."""
    return orders * 8 + types


class FaultPlan:
    """Turns scheduled events into emission rows: kind (type + fault bits) and emission key."""

    def __init__(self, options: GeneratorOptions, random: CounterRandom) -> None:
        self.options = options
        self.random = random
        self.enabled = options.duplicate_rate + options.late_rate + options.malformed_rate > 0

    def rows(self, events: ScheduledEvents) -> tuple[I64, I64, I64]:
        """Return (emission key µs, order, kind) for the events plus their duplicate copies.

        The emission key is when the event leaves the generator in simulated time: its own
        timestamp, or later for late events and duplicate copies.
        """
        kinds = events.types.astype(np.int64)
        if not self.enabled:
            return events.times, events.orders, kinds
        o = self.options
        counters = event_counters(events.orders, kinds)
        draw = self.random.uniform(counters, Field.FAULT)
        duplicate = draw < o.duplicate_rate
        late = (draw >= o.duplicate_rate) & (draw < o.duplicate_rate + o.late_rate)
        malformed = (draw >= o.duplicate_rate + o.late_rate) & (
            draw < o.duplicate_rate + o.late_rate + o.malformed_rate
        )
        kinds = kinds | np.where(late, LATE, 0) | np.where(malformed, MALFORMED, 0)
        keys = events.times + self.delay_micros(events.orders, kinds)
        copy_kinds = kinds[duplicate] | DUPLICATE_COPY
        copy_keys = events.times[duplicate] + self.delay_micros(
            events.orders[duplicate], copy_kinds
        )
        return (
            np.concatenate([keys, copy_keys]),
            np.concatenate([events.orders, events.orders[duplicate]]),
            np.concatenate([kinds, copy_kinds]),
        )

    def delay_micros(self, orders: I64, kinds: I64) -> I64:
        """How long after its timestamp each row is emitted (0 unless late or a copy)."""
        delays = np.zeros(len(orders), dtype=np.int64)
        if not self.enabled:
            return delays
        counters = event_counters(orders, kinds & TYPE_MASK)
        late = (kinds & LATE) != 0
        if late.any():
            bound = self.options.max_lateness_seconds * MICROS
            drawn = self.random.uniform(counters[late], Field.LATENESS) * bound
            delays[late] = np.minimum(np.rint(drawn).astype(np.int64), int(bound))
        copy = (kinds & DUPLICATE_COPY) != 0
        if copy.any():
            drawn = self.random.uniform(counters[copy], Field.DUPLICATE_DELAY)
            delays[copy] += np.rint(drawn * DUPLICATE_DELAY_MAX_SECONDS * MICROS).astype(np.int64)
        return delays

    def malformation(self, orders: I64, kinds: I64) -> I64:
        """Variant (index into :data:`MALFORMATIONS`) of each malformed row."""
        counters = event_counters(orders, kinds & TYPE_MASK)
        picks = self.random.uniform(counters, Field.MALFORMATION) * len(MALFORMATIONS)
        return np.minimum(picks.astype(np.int64), len(MALFORMATIONS) - 1)


def malform(payload: bytes, variant: int) -> bytes:
    """Break a well-formed payload in the documented way ``variant``."""
    if variant == 0:
        return payload[: len(payload) // 2]
    if variant == 1:
        start = payload.index(b'"order_id":')
        end = payload.index(b',"customer_id":', start)
        return payload[:start] + payload[end + 1 :]
    start = payload.index(b'"quantity":')
    end = payload.index(b',"unit_price":', start)
    return payload[:start] + b'"quantity":"many"' + payload[end:]
