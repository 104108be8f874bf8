"""Everything that shapes the generated events: seed, locale, pools, time, mix and faults.

Validated by pydantic, so a bad value is rejected with a message naming the field before
any event is generated.
"""

from __future__ import annotations

import math
from datetime import UTC, datetime
from typing import Self

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from eventgen.bounds import MAX_DENSITY
from eventgen.shop.locales import supported_locale

DEFAULT_START = datetime(2026, 1, 1, tzinfo=UTC)


class GeneratorOptions(BaseModel):
    """Options of one generator process (all replicas/shards of a spec share them).

    Rates are fractions in [0, 1]. Time is simulated: ``start`` is the simulated instant of
    the first emitted event and ``events_per_second`` the initial density of simulated time
    (the :class:`~eventgen.shop.generation.EventStream` attribute of the same name can change it).
    """

    model_config = ConfigDict(frozen=True, extra="forbid")

    seed: int = Field(
        default=0, ge=0, lt=2**63, description="Seed of the shop (pools) and its streams."
    )
    locale: str = Field(
        default="en_US", description="Locale of the shop: cities, currency, time zone."
    )
    customer_pool_size: int = Field(
        default=200_000, ge=1, le=1_000_000, description="Customers (sizing: docs/events.md)."
    )
    product_pool_size: int = Field(default=2_000, ge=1, le=200_000, description="Products.")
    start: datetime = Field(
        default=DEFAULT_START, description="Simulated time of the stream's start."
    )
    events_per_second: float = Field(
        default=100.0,
        gt=0,
        le=MAX_DENSITY,
        description="Initial events per simulated second.",
    )
    cancel_rate: float = Field(default=0.05, ge=0, le=1, description="Share of orders cancelled.")
    refund_rate: float = Field(
        default=0.06, ge=0, le=1, description="Share of deliveries refunded."
    )
    discount_rate: float = Field(default=0.2, ge=0, le=1, description="Share of orders discounted.")
    duplicate_rate: float = Field(
        default=0.0, ge=0, le=1, description="Share of events re-emitted."
    )
    late_rate: float = Field(default=0.0, ge=0, le=1, description="Share of events held back.")
    max_lateness_seconds: float = Field(
        default=60.0, gt=0, le=86_400, description="Upper bound of a late event's delay (s)."
    )
    malformed_rate: float = Field(default=0.0, ge=0, le=1, description="Share of events malformed.")
    daily_profile: bool = Field(
        default=True,
        description="Orders follow a daily and weekly rhythm in the shop's local time "
        "(batch only; a stream keeps the flat rate it is given).",
    )
    max_in_flight_orders: int = Field(
        default=1_000_000,
        ge=1_000,
        description="Memory bound: lifecycle delays shrink when more orders would be open.",
    )

    @field_validator("locale")
    @classmethod
    def _known_locale(cls, value: str) -> str:
        return supported_locale(value)

    @field_validator("start")
    @classmethod
    def _utc_start(cls, value: datetime) -> datetime:
        # A naive datetime is taken as UTC: event timestamps are always UTC.
        if value.tzinfo is None:
            return value.replace(tzinfo=UTC)
        return value.astimezone(UTC)

    @field_validator("events_per_second")
    @classmethod
    def _finite_rate(cls, value: float) -> float:
        if not math.isfinite(value):
            raise ValueError("events_per_second must be finite")
        return value

    @model_validator(mode="after")
    def _faults_fit(self) -> Self:
        # Faults are exclusive per event (one draw decides), so their shares must fit in 1.
        total = self.duplicate_rate + self.late_rate + self.malformed_rate
        if total > 1:
            raise ValueError(
                f"duplicate_rate + late_rate + malformed_rate must be <= 1, got {total:g}"
            )
        return self
