"""Order lifecycles simulated as arrays: which events each order has, and when.

An order is placed, its payment is authorized seconds to minutes later, it ships hours to
days after that and is delivered days later; a share is cancelled before shipping (with or
without a payment first) and a share of deliveries is refunded. Every draw is counter-based
on the order number (:mod:`eventgen.shop.randomness`), so an order's fate never depends on how
the orders were batched. Times are integer microseconds since the Unix epoch.
"""

from __future__ import annotations

import math
from collections.abc import Iterator
from dataclasses import dataclass
from enum import IntEnum

import numpy as np
import numpy.typing as npt

from eventgen.shop.arrivals import ArrivalProfile
from eventgen.shop.model import EventType
from eventgen.shop.options import GeneratorOptions
from eventgen.shop.randomness import I64, CounterRandom, Field

I8 = npt.NDArray[np.int8]
MICROS = 1_000_000
EVENT_TYPES: tuple[EventType, ...] = tuple(EventType)  # code = position in this tuple
PLACED, PAID, SHIPPED, DELIVERED, CANCELLED, REFUNDED = range(6)


class Path(IntEnum):
    """How an order's life ends."""

    CANCELLED = 0
    DELIVERED = 1
    REFUNDED = 2


@dataclass(frozen=True)
class Delay:
    """A lognormal delay in seconds: median, shape (sigma of its log), and hard bounds."""

    median_seconds: float
    sigma: float
    min_seconds: float
    max_seconds: float

    @property
    def mean_seconds(self) -> float:
        """Mean of the unbounded lognormal (the bounds cut off little of it)."""
        return self.median_seconds * math.exp(self.sigma**2 / 2)

    def draw_micros(self, random: CounterRandom, orders: I64, field: Field, scale: float) -> I64:
        """One delay per order in integer microseconds, times ``scale``; at least 1 µs, so
        an order's steps never share a timestamp however far ``scale`` shrinks them."""
        seconds = self.median_seconds * np.exp(self.sigma * random.normal(orders, field))
        seconds = np.clip(seconds, self.min_seconds, self.max_seconds)
        return np.maximum(np.rint(seconds * (scale * MICROS)), 1).astype(np.int64)


@dataclass(frozen=True)
class LifecycleDelays:
    """Delays between the steps of an order (defaults documented in docs/events.md)."""

    payment: Delay = Delay(25.0, 1.0, 2.0, 1_800.0)  # after placement
    shipping: Delay = Delay(18 * 3_600.0, 0.7, 3_600.0, 4 * 86_400.0)  # after payment
    delivery: Delay = Delay(2 * 86_400.0, 0.5, 6 * 3_600.0, 7 * 86_400.0)  # after shipping
    cancellation: Delay = Delay(1.5 * 3_600.0, 1.3, 30.0, 36 * 3_600.0)  # after placement
    refund: Delay = Delay(5 * 86_400.0, 0.6, 6 * 3_600.0, 21 * 86_400.0)  # after delivery


DEFAULT_DELAYS = LifecycleDelays()
FLAT_ARRIVALS = ArrivalProfile(flat=True)
WARM_UP_CHUNK = 1 << 16
"""Warm-up orders simulated at once. Draws are per order, so the chunk never changes the
events; it bounds the warm-up's transient arrays (~0.1 KB per order): 1 << 20 orders
peaked at ~230 MB at 50,000 events/s, 1 << 16 at a few MB over what the queue keeps."""


@dataclass(frozen=True)
class ScheduledEvents:
    """Events as parallel arrays: order number, event type code, time (µs since epoch)."""

    orders: I64
    types: I8
    times: I64

    def __len__(self) -> int:
        return len(self.orders)

    def where(self, mask: npt.NDArray[np.bool_]) -> ScheduledEvents:
        """The events selected by a boolean mask."""
        return ScheduledEvents(self.orders[mask], self.types[mask], self.times[mask])


class Lifecycle:
    """Draws paths and event times of orders for one stream."""

    def __init__(
        self,
        options: GeneratorOptions,
        random: CounterRandom,
        delays: LifecycleDelays = DEFAULT_DELAYS,
    ) -> None:
        self.options = options
        self.random = random
        self.delays = delays
        self.path_shares = {
            Path.CANCELLED: options.cancel_rate,
            Path.DELIVERED: (1 - options.cancel_rate) * (1 - options.refund_rate),
            Path.REFUNDED: (1 - options.cancel_rate) * options.refund_rate,
        }
        self.expected_events_per_order = self._expected_events_per_order()
        self.expected_open_seconds = self._expected_open_seconds()

    def _paid_before_cancel_share(self) -> float:
        # Estimated once from 100,000 counter-based draws under a fixed key: deterministic.
        probe = CounterRandom(0)
        orders = np.arange(100_000, dtype=np.int64)
        pay = self.delays.payment.draw_micros(probe, orders, Field.PAY_DELAY, 1.0)
        cancel = self.delays.cancellation.draw_micros(probe, orders, Field.CANCEL_DELAY, 1.0)
        return float(np.mean(pay < cancel))

    def _expected_events_per_order(self) -> float:
        shares = self.path_shares
        cancelled = 2.0 + self._paid_before_cancel_share()
        return (
            shares[Path.CANCELLED] * cancelled
            + shares[Path.DELIVERED] * 4.0
            + shares[Path.REFUNDED] * 5.0
        )

    def _expected_open_seconds(self) -> float:
        d, shares = self.delays, self.path_shares
        delivered = d.payment.mean_seconds + d.shipping.mean_seconds + d.delivery.mean_seconds
        return (
            shares[Path.CANCELLED] * d.cancellation.mean_seconds
            + shares[Path.DELIVERED] * delivered
            + shares[Path.REFUNDED] * (delivered + d.refund.mean_seconds)
        )

    def step_lags(self) -> list[tuple[float, float]]:
        """(events per order, mean seconds after placement) of each step; the first
        members add up to :attr:`expected_events_per_order`."""
        d, cancel = self.delays, self.options.cancel_rate
        kept = 1.0 - cancel
        shipped = d.payment.mean_seconds + d.shipping.mean_seconds
        delivered = shipped + d.delivery.mean_seconds
        return [
            (1.0, 0.0),
            (kept + cancel * self._paid_before_cancel_share(), d.payment.mean_seconds),
            (kept, shipped),
            (kept, delivered),
            (cancel, d.cancellation.mean_seconds),
            (kept * self.options.refund_rate, delivered + d.refund.mean_seconds),
        ]

    def max_open_seconds(self, path: Path) -> float:
        """Longest possible time from placement to the last event of a ``path`` order."""
        d = self.delays
        if path is Path.CANCELLED:
            return d.cancellation.max_seconds
        delivered = d.payment.max_seconds + d.shipping.max_seconds + d.delivery.max_seconds
        return delivered + (d.refund.max_seconds if path is Path.REFUNDED else 0.0)

    def order_rate(self, events_per_second: float) -> float:
        """Orders placed per simulated second so that ``events_per_second`` events happen."""
        emitted_per_event = 1.0 + self.options.duplicate_rate
        return events_per_second / (self.expected_events_per_order * emitted_per_event)

    def delay_scale(self, order_rate: float) -> float:
        """Factor (<= 1) on all delays that keeps open orders under the configured bound.

        By Little's law, open orders = order rate x mean open time; above the bound every
        delay shrinks by the same factor, so proportions and order of steps stay intact.
        """
        open_orders = order_rate * self.expected_open_seconds
        return min(1.0, self.options.max_in_flight_orders / open_orders)

    def paths(self, orders: I64) -> I8:
        """The path of each order, from its own draws."""
        cancelled = self.random.uniform(orders, Field.PATH) < self.options.cancel_rate
        refunded = self.random.uniform(orders, Field.REFUND) < self.options.refund_rate
        paths = np.where(refunded, Path.REFUNDED, Path.DELIVERED)
        return np.where(cancelled, Path.CANCELLED, paths).astype(np.int8)

    def arrival_gaps(self, orders: I64, order_rate: float) -> I64:
        """Exponential gaps (µs) before each order: a Poisson process of ``order_rate``."""
        gaps = -np.log(self.random.uniform(orders, Field.GAP)) * (MICROS / order_rate)
        return np.rint(gaps).astype(np.int64)

    def schedule(self, orders: I64, placed: I64, paths: I8, scale: float) -> ScheduledEvents:
        """All events of the given orders (grouped by type, not sorted by time)."""
        d, r = self.delays, self.random
        cancelled = paths == Path.CANCELLED
        paid = placed + d.payment.draw_micros(r, orders, Field.PAY_DELAY, scale)
        # Each later step is drawn only for the orders that reach it (draws are per order,
        # so skipping the others changes nothing for the rest).
        c_orders, c_placed, c_paid = orders[cancelled], placed[cancelled], paid[cancelled]
        cancel_at = c_placed + d.cancellation.draw_micros(r, c_orders, Field.CANCEL_DELAY, scale)
        # A cancelled order is paid only if the payment came through before the cancel.
        paid_first = c_paid < cancel_at
        out = ~cancelled
        s_orders, s_paid = orders[out], paid[out]
        shipped = s_paid + d.shipping.draw_micros(r, s_orders, Field.SHIP_DELAY, scale)
        delivered = shipped + d.delivery.draw_micros(r, s_orders, Field.DELIVER_DELAY, scale)
        refund = paths[out] == Path.REFUNDED
        r_orders = s_orders[refund]
        refunded = delivered[refund] + d.refund.draw_micros(r, r_orders, Field.REFUND_DELAY, scale)
        pieces = [
            (orders, placed, PLACED),
            (np.concatenate([s_orders, c_orders[paid_first]]), None, PAID),
            (s_orders, shipped, SHIPPED),
            (s_orders, delivered, DELIVERED),
            (c_orders, cancel_at, CANCELLED),
            (r_orders, refunded, REFUNDED),
        ]
        paid_times = np.concatenate([s_paid, c_paid[paid_first]])
        return ScheduledEvents(
            orders=np.concatenate([part for part, _, _ in pieces]),
            types=np.concatenate(
                [np.full(len(part), code, dtype=np.int8) for part, _, code in pieces]
            ),
            times=np.concatenate(
                [paid_times if times is None else times for _, times, _ in pieces]
            ),
        )

    def warm_up(
        self,
        start: int,
        order_rate: float,
        scale: float,
        arrivals: ArrivalProfile = FLAT_ARRIVALS,
        chunk: int = WARM_UP_CHUNK,
    ) -> Iterator[ScheduledEvents]:
        """Events at or after ``start`` of orders placed before it (the shop's open orders).

        Orders placed in the window before ``start`` that could still be open are drawn per
        path (uniform placement in operational time, the path's share of the rate, warped
        onto the clock by ``arrivals``), and only their events from ``start`` on are kept:
        exactly the steady state of the order process.
        Their order numbers are negative, so they never collide with orders after ``start``.
        Yielded a chunk at a time, for the caller to keep only what it needs: at high rates
        the window holds millions of orders, most of them already closed.
        """
        operational_start = int(arrivals.to_operational(np.array([start], np.int64))[0])
        for path, share in self.path_shares.items():
            horizon = self.max_open_seconds(path) * scale
            # The window's length in operational time: its expected orders at the mean rate.
            window = arrivals.operational_seconds(start - round(horizon * MICROS), horizon)
            count = round(order_rate * share * window)
            for first in range(0, count, chunk):
                index = np.arange(first, min(count, first + chunk), dtype=np.int64)
                orders = -(1 + index * len(Path) + int(path))
                ages = self.random.uniform(orders, Field.WARMUP_AGE) * (window * MICROS)
                placed = arrivals.to_real(operational_start - np.rint(ages).astype(np.int64)) - 1
                paths = np.full(len(orders), path, dtype=np.int8)
                events = self.schedule(orders, placed, paths, scale)
                yield events.where(events.times >= start)
