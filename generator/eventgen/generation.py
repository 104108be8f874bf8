"""EventStream: the generator's public entry point (first, simple version; columnar follows)."""

from __future__ import annotations

import heapq
import random
import uuid
from datetime import timedelta

import orjson

from eventgen.batches import EventBatch
from eventgen.locales import SUPPORTED_LOCALES
from eventgen.model import SCHEMA_VERSION, STATUS_OF_EVENT, EventType, ProductCategory
from eventgen.options import GeneratorOptions
from eventgen.seeding import derive_seed

_CATEGORIES = list(ProductCategory)


class EventStream:
    """An endless, deterministic stream of events in simulated-time order."""

    def __init__(self, options: GeneratorOptions, generator_id: str) -> None:
        if not generator_id:
            raise ValueError("generator_id must not be empty")
        self.options = options
        self.generator_id = generator_id
        self._rng = random.Random(derive_seed(options.seed, generator_id))
        self._events_per_second = options.events_per_second
        self._sequence = 0
        self._clock = options.start
        self._orders = 0
        self._pending: list[tuple[float, int, int, EventType]] = []
        self._currency = SUPPORTED_LOCALES[options.locale].currency

    @property
    def events_per_second(self) -> float:
        """Density of simulated time: events per simulated second."""
        return self._events_per_second

    @events_per_second.setter
    def events_per_second(self, value: float) -> None:
        if not value > 0:
            raise ValueError(f"events_per_second must be > 0, got {value}")
        self._events_per_second = float(value)

    def next_batch(self, count: int) -> EventBatch:
        """Return the next ``count`` events, sequence numbers continuing without gaps."""
        if count < 0:
            raise ValueError(f"count must be >= 0, got {count}")
        payloads: list[bytes] = []
        types: list[str] = []
        orders: list[str] = []
        first = self._sequence
        while len(payloads) < count:
            while not self._pending or self._pending[0][0] > self._clock_seconds():
                self._place_order()
            when, order, _, event_type = heapq.heappop(self._pending)
            payloads.append(self._payload(when, order, event_type))
            types.append(event_type.value)
            orders.append(f"ORD-{order:012d}")
        return EventBatch(self.generator_id, first, payloads, types, orders)

    def _clock_seconds(self) -> float:
        return (self._clock - self.options.start).total_seconds()

    def _place_order(self) -> None:
        rng = self._rng
        self._clock += timedelta(seconds=rng.expovariate(self._events_per_second / 4))
        t = self._clock_seconds()
        order = self._orders
        self._orders += 1
        steps = [(t, EventType.ORDER_PLACED)]
        paid = t + rng.uniform(2, 120)
        steps.append((paid, EventType.PAYMENT_AUTHORIZED))
        if rng.random() < self.options.cancel_rate:
            steps.append((paid + rng.uniform(60, 3600), EventType.ORDER_CANCELLED))
        else:
            shipped = paid + rng.uniform(3600, 3 * 86400)
            delivered = shipped + rng.uniform(86400, 5 * 86400)
            steps += [(shipped, EventType.ORDER_SHIPPED), (delivered, EventType.ORDER_DELIVERED)]
            if rng.random() < self.options.refund_rate:
                steps.append((delivered + rng.uniform(86400, 14 * 86400), EventType.ORDER_REFUNDED))
        for rank, (when, event_type) in enumerate(steps):
            heapq.heappush(self._pending, (when, order, rank, event_type))

    def _payload(self, when: float, order: int, event_type: EventType) -> bytes:
        order_rng = random.Random(derive_seed(self.options.seed, self.generator_id, order))
        product = order_rng.randrange(self.options.product_pool_size)
        price_cents = 500 + random.Random(product).randrange(20_000)
        quantity = order_rng.choice([1, 1, 1, 2, 3])
        total = price_cents * quantity
        stamp = self.options.start + timedelta(seconds=when)
        event_rng = random.Random(
            derive_seed(self.options.seed, self.generator_id, order, event_type.value)
        )
        event = {
            "event_id": str(uuid.UUID(int=event_rng.getrandbits(128), version=4)),
            "event_type": event_type.value,
            "event_timestamp": stamp.strftime("%Y-%m-%dT%H:%M:%S.%fZ"),
            "order_id": f"ORD-{order:012d}",
            "customer_id": f"CUST-{order_rng.randrange(self.options.customer_pool_size):08d}",
            "product_id": f"PROD-{product:06d}",
            "product_name": f"Product {product}",
            "product_category": _CATEGORIES[product % len(_CATEGORIES)].value,
            "quantity": quantity,
            "unit_price": f"{price_cents // 100}.{price_cents % 100:02d}",
            "discount_amount": "0.00",
            "total_amount": f"{total // 100}.{total % 100:02d}",
            "currency": self._currency,
            "payment_method": "credit_card",
            "status": STATUS_OF_EVENT[event_type].value,
            "country": "US",
            "city": "Springfield",
            "device": "mobile",
            "channel": "direct",
            "generator_id": self.generator_id,
            "sequence": self._sequence,
            "schema_version": SCHEMA_VERSION,
        }
        self._sequence += 1
        raw = orjson.dumps(event)
        # Money as JSON numbers with exactly two decimals.
        for key in ("unit_price", "discount_amount", "total_amount"):
            value = event[key]
            raw = raw.replace(f'"{key}":"{value}"'.encode(), f'"{key}":{value}'.encode())
        return raw
