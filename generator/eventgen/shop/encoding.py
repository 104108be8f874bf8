"""Columnar JSON encoding: event columns in, one compact JSON object per event out.

Every field is prepared for the whole batch at once (numpy draws and lookups into
pre-encoded pool fragments, hex and timestamp text built on arrays); the only per-event
Python work left is one ``bytes % tuple`` into a fixed template, which is what makes
hundreds of thousands of events per second per core possible.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import numpy.typing as npt
import orjson

from eventgen.shop.catalog import Catalog, vocabulary, weighted_labels
from eventgen.shop.faults import MALFORMED, TYPE_MASK, FaultPlan, malform
from eventgen.shop.lifecycle import EVENT_TYPES
from eventgen.shop.model import SCHEMA_VERSION, STATUS_OF_EVENT
from eventgen.shop.options import GeneratorOptions
from eventgen.shop.randomness import I64, U64, CounterRandom, Field

ObjectArray = npt.NDArray[np.object_]
_HEX_LOWER = np.frombuffer(b"0123456789abcdef", dtype=np.uint8)
_HEX_UPPER = np.frombuffer(b"0123456789ABCDEF", dtype=np.uint8)
_NIBBLE_SHIFTS = np.arange(60, -1, -4, dtype=np.uint64)
_UUID_DIGITS = [i for i in range(36) if i not in (8, 13, 18, 23)]


def _objects(values: list[bytes] | list[str]) -> ObjectArray:
    array = np.empty(len(values), dtype=object)
    array[:] = values
    return array


def hex_digits(words: U64, upper: bool = False) -> npt.NDArray[np.uint8]:
    """16 hex digits per 64-bit word, most significant first, as an (n, 16) byte matrix."""
    nibbles = (words[:, None] >> _NIBBLE_SHIFTS[None, :]) & np.uint64(0xF)
    return (_HEX_UPPER if upper else _HEX_LOWER)[nibbles.astype(np.intp)]


def uuid4_texts(high: U64, low: U64) -> list[bytes]:
    """Random-based (version 4, RFC 4122 variant) UUIDs in canonical form from 128 bits."""
    high = (high & ~np.uint64(0xF000)) | np.uint64(0x4000)
    low = (low & ~np.uint64(0xC000_0000_0000_0000)) | np.uint64(0x8000_0000_0000_0000)
    text = np.full((len(high), 36), ord("-"), dtype=np.uint8)
    text[:, _UUID_DIGITS] = np.concatenate([hex_digits(high), hex_digits(low)], axis=1)
    return np.ascontiguousarray(text).view("S36").ravel().tolist()


def timestamp_texts(micros: I64) -> list[bytes]:
    """RFC 3339 UTC timestamps with microseconds, without the trailing ``Z``."""
    texts = np.datetime_as_string(micros.astype("datetime64[us]"), unit="us")
    return texts.astype("S26").tolist()  # type: ignore[no-any-return]


def _money(cents: int) -> bytes:
    return b"%d.%02d" % divmod(cents, 100)


@dataclass(frozen=True)
class EncodedEvents:
    """Payloads of a batch with the labels a sink needs without parsing them."""

    payloads: list[bytes]
    event_types: list[str]
    order_ids: list[str]


class EventEncoder:
    """Builds the JSON payloads of one stream from order numbers, kinds and times."""

    def __init__(
        self,
        options: GeneratorOptions,
        catalog: Catalog,
        random: CounterRandom,
        faults: FaultPlan,
        generator_id: str,
    ) -> None:
        self.options = options
        self.catalog = catalog
        self.random = random
        self.faults = faults
        words = vocabulary()
        payments, self._payment_cdf = weighted_labels(words["payment_methods"])
        devices, self._device_cdf = weighted_labels(words["devices"])
        channels, self._channel_cdf = weighted_labels(words["channels"])
        quantities, self._quantity_cdf = weighted_labels(words["quantities"])
        percents, self._percent_cdf = weighted_labels(words["discount_percents"])
        self._quantities = np.array([int(q) for q in quantities], dtype=np.int64)
        self._percents = np.array([int(p) for p in percents], dtype=np.int64)
        self._channel_count = len(channels)
        self._payments = _objects([p.encode() for p in payments])
        self._device_channel = _objects(
            [
                b'"device":%s,"channel":%s' % (orjson.dumps(d), orjson.dumps(c))
                for d in devices
                for c in channels
            ]
        )
        self._type_names = _objects([t.value.encode() for t in EVENT_TYPES])
        self._type_labels = _objects([t.value for t in EVENT_TYPES])
        self._statuses = _objects([STATUS_OF_EVENT[t].value.encode() for t in EVENT_TYPES])
        self._products = _objects(catalog.product_fragments)
        self._unit_prices = _objects([_money(int(c)) for c in catalog.product_price_cents])
        self._locations = _objects(catalog.city_fragments)
        constant_tail = b'"generator_id":%s,"sequence":' % orjson.dumps(generator_id)
        self._template = (
            b'{"event_id":"%s","event_type":"%s","event_timestamp":"%sZ","order_id":"%s",'
            # customer_id is CUST- and the customer's index + 1 (see catalog.customer_id).
            b'"customer_id":"CUST-%08d",%s,"quantity":%d,"unit_price":%s,"discount_amount":%d.%02d,'
            b'"total_amount":%d.%02d,"currency":'
            + orjson.dumps(catalog.currency).replace(b"%", b"%%")
            + b',"payment_method":"%s","status":"%s",%s,%s,'
            + constant_tail.replace(b"%", b"%%")
            + b'%d,"schema_version":'
            + str(SCHEMA_VERSION).encode()
            + b"}"
        )

    def order_ids(self, orders: I64) -> npt.NDArray[np.bytes_]:
        """Order ids (``ORD-`` and 16 hex digits), a pure function of the order number."""
        digits = hex_digits(self.random.bits(orders, Field.ORDER_ID), upper=True)
        text = np.empty((len(orders), 20), dtype=np.uint8)
        text[:, :4] = np.frombuffer(b"ORD-", dtype=np.uint8)
        text[:, 4:] = digits
        return np.ascontiguousarray(text).view("S20").ravel()

    def encode(self, orders: I64, kinds: I64, times: I64, first_sequence: int) -> EncodedEvents:
        """Payloads for events given as order number, kind and timestamp (µs) columns."""
        r, catalog = self.random, self.catalog
        types = kinds & TYPE_MASK
        counters = orders * 8 + types
        customer = r.choice(orders, Field.CUSTOMER, catalog.customer_cumulative)
        product = r.choice(orders, Field.PRODUCT, catalog.product_cumulative)
        quantity = self._quantities[r.choice(orders, Field.QUANTITY, self._quantity_cdf)]
        subtotal = quantity * catalog.product_price_cents[product]
        discounted = r.uniform(orders, Field.DISCOUNT) < self.options.discount_rate
        percent = self._percents[r.choice(orders, Field.DISCOUNT_PERCENT, self._percent_cdf)]
        step = catalog.price_step_cents
        discount = np.where(discounted, (subtotal * percent // 100) // step * step, 0)
        total = subtotal - discount
        device = r.choice(orders, Field.DEVICE, self._device_cdf)
        channel = r.choice(orders, Field.CHANNEL, self._channel_cdf)
        order_ids = self.order_ids(orders)
        columns = zip(
            uuid4_texts(
                r.bits(counters, Field.EVENT_ID_HIGH), r.bits(counters, Field.EVENT_ID_LOW)
            ),
            self._type_names[types].tolist(),
            timestamp_texts(times),
            order_ids.tolist(),
            (customer + 1).tolist(),
            self._products[product].tolist(),
            quantity.tolist(),
            self._unit_prices[product].tolist(),
            (discount // 100).tolist(),
            (discount % 100).tolist(),
            (total // 100).tolist(),
            (total % 100).tolist(),
            self._payments[r.choice(orders, Field.PAYMENT, self._payment_cdf)].tolist(),
            self._statuses[types].tolist(),
            self._locations[catalog.customer_city[customer]].tolist(),
            self._device_channel[device * self._channel_count + channel].tolist(),
            range(first_sequence, first_sequence + len(orders)),
            strict=True,
        )
        template = self._template
        payloads = [template % row for row in columns]
        malformed = np.flatnonzero(kinds & MALFORMED)
        if len(malformed):
            variants = self.faults.malformation(orders[malformed], kinds[malformed])
            for index, variant in zip(malformed.tolist(), variants.tolist(), strict=True):
                payloads[index] = malform(payloads[index], variant)
        return EncodedEvents(
            payloads=payloads,
            event_types=self._type_labels[types].tolist(),
            order_ids=order_ids.astype("U20").tolist(),
        )
