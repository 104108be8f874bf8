"""EventStream: an endless, deterministic stream of e-commerce events in simulated time.

Orders arrive as a Poisson process from ``options.start`` (with the daily profile, its rate
follows the hour and weekday: :mod:`eventgen.shop.arrivals`); each order's whole lifecycle is
simulated (as arrays, many orders at a time) when it is placed, its events wait in an
:class:`~eventgen.shop.queue.EventQueue` until simulated time reaches them, and batches are
encoded columnar. Before the first event, the orders that would be open at ``start`` are
simulated too, so shipments and deliveries flow from the first second (a shop in steady state).

Output is a pure function of (options, generator_id, the run's identity, the
events_per_second in force when orders were placed): the batch sizes asked for never change
it. A new events_per_second applies to orders placed from then on; later steps of earlier
orders keep their times.
"""

from __future__ import annotations

import math
from functools import lru_cache

import numpy as np

from eventgen.bounds import MAX_DENSITY
from eventgen.shop.allocator import release_free_memory
from eventgen.shop.arrivals import ArrivalProfile
from eventgen.shop.batches import EventBatch
from eventgen.shop.catalog import Catalog, build_catalog
from eventgen.shop.encoding import EventEncoder
from eventgen.shop.faults import FaultPlan
from eventgen.shop.identity import RunIdentity, event_seed
from eventgen.shop.lifecycle import MICROS, Lifecycle, ScheduledEvents
from eventgen.shop.options import GeneratorOptions
from eventgen.shop.queue import EventQueue, make_tags, split_tags
from eventgen.shop.randomness import CounterRandom

MIN_ORDERS_PER_STEP = 16
MAX_ORDERS_PER_STEP = 1 << 16
LOOKAHEAD_SECONDS = 0.01
"""Most simulated time orders are placed ahead of need. They are placed at the density in
force then, which a later change cannot move: 16 orders ahead at 1 event/s was a minute of
event time that a rise to 5,000/s emitted at once, far ahead of the clock."""


@lru_cache(maxsize=4)
def shop_catalog(seed: int, locale: str, products: int, customers: int) -> Catalog:
    """The pools of a shop, built once per process (replicas of one spec share them)."""
    return build_catalog(seed, locale, products, customers)


def batch_density(options: GeneratorOptions, events: int, span_seconds: float) -> float:
    """Events per simulated second (``events_per_second``) that spread ``events`` over the
    ``span_seconds`` from ``options.start``.

    Flat arrivals: ``events / span_seconds``. With the daily profile, each step of the
    lifecycle is counted over the span shifted back by its mean delay (a Saturday's
    deliveries come from the busier days before it), so a quiet day gets fewer events per
    hour instead of running past its end.
    """
    lifecycle = Lifecycle(options, CounterRandom(0))
    arrivals = ArrivalProfile.for_shop(options.locale, options.daily_profile)
    start = int(options.start.timestamp()) * MICROS + options.start.microsecond
    event_seconds = sum(
        share * arrivals.operational_seconds(start - round(lag * MICROS), span_seconds)
        for share, lag in lifecycle.step_lags()
    )
    return max(events, 1) * lifecycle.expected_events_per_order / event_seconds


class EventStream:
    """The events of one generator (replica or shard), in simulated-time order.

    Pools come from ``options.seed`` (the same shop for every replica and shard); the events
    from :func:`eventgen.shop.identity.event_seed` of the options, ``generator_id`` and ``run``,
    so generators, periods and runs never repeat each other (docs/events.md#identity).
    """

    def __init__(
        self, options: GeneratorOptions, generator_id: str, run: RunIdentity | None = None
    ) -> None:
        if not generator_id:
            raise ValueError("generator_id must not be empty")
        self.options = options
        self.generator_id = generator_id
        self.catalog = shop_catalog(
            options.seed, options.locale, options.product_pool_size, options.customer_pool_size
        )
        self._random = CounterRandom(event_seed(options, generator_id, run or RunIdentity()))
        self._lifecycle = Lifecycle(options, self._random)
        self._faults = FaultPlan(options, self._random)
        self._encoder = EventEncoder(
            options, self.catalog, self._random, self._faults, generator_id
        )
        self._queue = EventQueue()
        self._events_per_second = options.events_per_second
        self._start = int(options.start.timestamp()) * MICROS + options.start.microsecond
        self._arrivals = ArrivalProfile.for_shop(options.locale, options.daily_profile)
        self._clock = self._start  # placement time (µs) of the latest order
        # The same instant in operational time (see eventgen.shop.arrivals): arrivals are a
        # homogeneous Poisson process there, warped onto the clock by the daily profile.
        self._operational_clock = int(self._arrivals.to_operational(np.array([self._start]))[0])
        self._emitted_until = self._start  # simulated time (µs) of the latest emitted event
        self._time_shift = 0  # µs added to every event time from here on (never decreases)
        self._next_order = 0
        self._sequence = 0
        self._warmed_up = False

    @property
    def events_per_second(self) -> float:
        """Events per simulated second for orders placed from now on (may be changed live)."""
        return self._events_per_second

    @events_per_second.setter
    def events_per_second(self, value: float) -> None:
        if not (math.isfinite(value) and 0 < value <= MAX_DENSITY):
            raise ValueError(
                f"events_per_second must be a finite number > 0 and <= {MAX_DENSITY:g}, got {value}"
            )
        self._events_per_second = float(value)

    @property
    def next_sequence(self) -> int:
        """Sequence number of the next event to be emitted (= events emitted so far)."""
        return self._sequence

    @property
    def simulated_time(self) -> float:
        """Event time (Unix seconds) the output has reached: the time of the latest emitted
        event before any injected lateness; the start until something is emitted."""
        return (self._emitted_until + self._time_shift) / MICROS

    def shift_event_time(self, seconds: float) -> None:
        """Stamp every event from now on ``seconds`` later. Only forward, so the steps of
        an order keep their order; a stream uses it to catch up with the wall clock."""
        if not (math.isfinite(seconds) and seconds >= 0):
            raise ValueError(f"seconds must be a finite number >= 0, got {seconds}")
        self._time_shift += round(seconds * MICROS)

    @property
    def open_events(self) -> int:
        """Events simulated but not yet emitted (memory: 16 bytes each)."""
        return len(self._queue)

    def next_batch(self, count: int) -> EventBatch:
        """Return the next ``count`` events; sequence numbers continue without gaps."""
        if count < 0:
            raise ValueError(f"count must be >= 0, got {count}")
        if not self._warmed_up:
            self._warm_up()
        while self._queue.ready < count:
            missing = count - self._queue.ready
            wanted = math.ceil(missing / self._lifecycle.expected_events_per_order)
            self._place_orders(min(max(wanted, self._least_orders_per_step()), MAX_ORDERS_PER_STEP))
            self._queue.release(self._clock)
        keys, tags = self._queue.pop(count)
        if len(keys):
            self._emitted_until = int(keys[-1])
        orders, kinds = split_tags(tags)
        times = keys - self._faults.delay_micros(orders, kinds) + self._time_shift
        first = self._sequence
        encoded = self._encoder.encode(orders, kinds, times, first)
        self._sequence += len(encoded.payloads)
        return EventBatch(
            generator_id=self.generator_id,
            first_sequence=first,
            payloads=encoded.payloads,
            event_types=encoded.event_types,
            order_ids=encoded.order_ids,
        )

    def _least_orders_per_step(self) -> int:
        """Orders worth placing in one step: at high rates at least MIN_ORDERS_PER_STEP
        (fewer numpy calls per event); at low rates no more than LOOKAHEAD_SECONDS' worth."""
        order_rate = self._lifecycle.order_rate(self._events_per_second)
        return max(1, min(MIN_ORDERS_PER_STEP, int(order_rate * LOOKAHEAD_SECONDS)))

    def _rates(self) -> tuple[float, float]:
        order_rate = self._lifecycle.order_rate(self._events_per_second)
        return order_rate, self._lifecycle.delay_scale(order_rate)

    def _enqueue(self, events: ScheduledEvents) -> None:
        keys, orders, kinds = self._faults.rows(events)
        self._queue.push(keys, make_tags(orders, kinds))

    def _warm_up(self) -> None:
        order_rate, scale = self._rates()
        # Chunk by chunk: only the open orders' events are kept (eventgen.shop.lifecycle).
        for events in self._lifecycle.warm_up(self._start, order_rate, scale, self._arrivals):
            self._enqueue(events)
        self._warmed_up = True
        # The warm-up is the process's peak; what it freed goes back to the OS now.
        release_free_memory()

    def _place_orders(self, count: int) -> None:
        order_rate, scale = self._rates()
        orders = np.arange(self._next_order, self._next_order + count, dtype=np.int64)
        operational = self._operational_clock + np.cumsum(
            self._lifecycle.arrival_gaps(orders, order_rate)
        )
        placed = self._arrivals.to_real(operational)
        self._enqueue(
            self._lifecycle.schedule(orders, placed, self._lifecycle.paths(orders), scale)
        )
        self._next_order += count
        self._operational_clock = int(operational[-1])
        self._clock = int(placed[-1])
