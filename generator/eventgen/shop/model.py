"""Event schema version 1: the one source of the JSON output, JSON Schema and BigQuery schema.

One event is one state change of one order line. Field order here is the key order of
every JSON payload and the column order of the BigQuery table.
"""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from enum import StrEnum
from typing import Annotated

from pydantic import BaseModel, ConfigDict, Field, WithJsonSchema

SCHEMA_VERSION = 1

# RFC 3339 UTC with exactly microseconds, as the generator writes and BigQuery loads.
TIMESTAMP_PATTERN = r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{6}(Z|\+00:00)$"
UUID_PATTERN = r"^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$"


class EventType(StrEnum):
    """What happened to the order line."""

    ORDER_PLACED = "order_placed"
    PAYMENT_AUTHORIZED = "payment_authorized"
    ORDER_SHIPPED = "order_shipped"
    ORDER_DELIVERED = "order_delivered"
    ORDER_CANCELLED = "order_cancelled"
    ORDER_REFUNDED = "order_refunded"


class OrderStatus(StrEnum):
    """State of the order after the event (one per event type)."""

    PENDING = "pending"
    PAID = "paid"
    SHIPPED = "shipped"
    DELIVERED = "delivered"
    CANCELLED = "cancelled"
    REFUNDED = "refunded"


STATUS_OF_EVENT: dict[EventType, OrderStatus] = {
    EventType.ORDER_PLACED: OrderStatus.PENDING,
    EventType.PAYMENT_AUTHORIZED: OrderStatus.PAID,
    EventType.ORDER_SHIPPED: OrderStatus.SHIPPED,
    EventType.ORDER_DELIVERED: OrderStatus.DELIVERED,
    EventType.ORDER_CANCELLED: OrderStatus.CANCELLED,
    EventType.ORDER_REFUNDED: OrderStatus.REFUNDED,
}


class ProductCategory(StrEnum):
    """The fixed set of product categories (the table is clustered on it)."""

    ELECTRONICS = "Electronics"
    FASHION = "Fashion"
    HOME_AND_KITCHEN = "Home & Kitchen"
    BEAUTY = "Beauty"
    SPORTS_AND_OUTDOORS = "Sports & Outdoors"
    BOOKS = "Books"
    TOYS_AND_GAMES = "Toys & Games"
    GROCERY = "Grocery"


Money = Annotated[
    Decimal,
    Field(max_digits=18, decimal_places=2, ge=0),
    # Written as a JSON number with exactly two decimals (e.g. 19.90), which BigQuery
    # loads into NUMERIC without rounding.
    WithJsonSchema({"type": "number", "minimum": 0}),
]
Timestamp = Annotated[
    datetime,
    WithJsonSchema({"type": "string", "format": "date-time", "pattern": TIMESTAMP_PATTERN}),
]


class Event(BaseModel):
    """One e-commerce order event, schema version 1."""

    model_config = ConfigDict(extra="forbid", frozen=True, title="EcommerceEvent")

    event_id: str = Field(
        pattern=UUID_PATTERN,
        description="UUID of the event; repeated only by injected duplicates.",
    )
    event_type: EventType = Field(description="What happened to the order.")
    event_timestamp: Timestamp = Field(
        description="When it happened (UTC, microseconds); the table's partition column."
    )
    order_id: str = Field(min_length=1, description="Order the event belongs to.")
    customer_id: str = Field(min_length=1, description="Customer who placed the order.")
    product_id: str = Field(min_length=1, description="Product ordered (one product per order).")
    product_name: str | None = Field(description="Product name, the same for every product_id.")
    product_category: ProductCategory = Field(
        description="Product category, one of a fixed set; a clustering column."
    )
    quantity: int | None = Field(ge=1, description="Units ordered.")
    unit_price: Money | None = Field(
        description="Price of one unit in `currency`, the same for every product_id."
    )
    discount_amount: Money | None = Field(
        description="Discount on the order line in `currency` (0.00 when none)."
    )
    total_amount: Money | None = Field(
        description="quantity x unit_price - discount_amount, in `currency`."
    )
    currency: str | None = Field(
        pattern=r"^[A-Z]{3}$", description="ISO 4217 code of the money fields."
    )
    payment_method: str | None = Field(description="How the order is paid.")
    status: OrderStatus = Field(description="Order status after the event; a clustering column.")
    country: str | None = Field(description="Shipping country, ISO 3166-1 alpha-2.")
    city: str | None = Field(description="Shipping city.")
    device: str | None = Field(description="Device the order was placed from.")
    channel: str | None = Field(description="Marketing channel that brought the order.")
    generator_id: str = Field(
        min_length=1,
        description=(
            "What produced the event: a stream run (<pod>.<run id>) or a batch shard"
            " (<name>-shard-<i>); sequence counts within it."
        ),
    )
    sequence: int = Field(ge=0, description="Position in the generator's output, gap-free from 0.")
    schema_version: int = Field(ge=1, description="Version of this schema (1).")


FIELD_NAMES: tuple[str, ...] = tuple(Event.model_fields)
