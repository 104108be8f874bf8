"""The shape of a stream's rate over time, as a document: rhythm, stages and bursts.

A shape never holds a rate. ``spec.rate`` (``--rate``, the live ``ratePerReplica``) stays
the one rate a user sets: the **base** the shape multiplies. Every part of a shape is a
dimensionless factor, and the parts multiply (:mod:`eventgen.shape.curve` evaluates them)::

    rate(t) = base x daily(t) x stage(t) x burst_1(t) x burst_2(t) x ...

- ``daily``: the batch's hour-of-week rhythm (:mod:`eventgen.shop.arrivals`, averaging 1 over a
  week) in the shop's local standard time.
- ``stages``: steps and linear ramps, one after the other from ``start``; a ramp goes from
  the level before it to its own factor. Before ``start`` and, without ``repeatStages``,
  before the first stage, the level is 1; after the last stage its factor holds. With
  ``repeatStages`` the list repeats and the first stage ramps from the last one's factor.
- ``bursts``: factors in force for ``durationSeconds`` at a local time of every day, of a
  weekday every week, or once at an absolute time. Overlapping bursts multiply.
- ``timeScale``: shape time runs this many times faster than the wall clock from
  ``start`` on (1440: a day in a minute), for tests and demos. Events keep wall-clock
  timestamps; only the rate follows the compressed shape.

One owner of these rules: the generator parses ``--shape`` and the live ConfigMap with this
model, and the operator checks ``spec.shape`` with it.
"""

from __future__ import annotations

import datetime as dt
import json
import re
from typing import Any, Literal

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator
from pydantic.alias_generators import to_camel

from eventgen.errors import ConfigError

MAX_FACTOR = 1000.0
"""Largest factor of one stage or burst (a flash sale x1000 is already absurd)."""
MAX_STAGES = 100
MIN_SECONDS = 0.001
"""Shortest stage or burst (seconds; the CRD has the same minimum)."""
MAX_BURSTS = 50
MAX_STAGE_SECONDS = 366 * 86_400.0
MAX_TIME_SCALE = 100_000.0
"""A week of shape time in six seconds: beyond that an hour of rhythm is shorter than a batch."""
DAY_SECONDS = 86_400.0
WEEK_SECONDS = 7 * DAY_SECONDS
WEEKDAYS = ("monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday")

_LOCAL_TIME = re.compile(r"^([01][0-9]|2[0-3]):([0-5][0-9])$")


class _Model(BaseModel):
    model_config = ConfigDict(
        alias_generator=to_camel, populate_by_name=True, frozen=True, extra="forbid"
    )


class Stage(_Model):
    """One stage: ``factor`` of the base rate for ``durationSeconds``; with ``ramp``, a
    straight line from the level before the stage to ``factor`` over the stage."""

    factor: float = Field(ge=0, le=MAX_FACTOR)
    duration_seconds: float = Field(ge=MIN_SECONDS, le=MAX_STAGE_SECONDS)
    ramp: bool = False


class Burst(_Model):
    """``factor`` in force for ``durationSeconds`` from ``at``.

    ``at``: ``HH:MM`` shop-local time with ``every: day`` (or ``week`` and ``weekday``), or
    an RFC 3339 time with a zone (UTC ``Z`` or an offset) for a burst that happens once.
    """

    at: str
    factor: float = Field(ge=0, le=MAX_FACTOR)
    duration_seconds: float = Field(ge=MIN_SECONDS, le=WEEK_SECONDS)
    every: Literal["day", "week"] | None = None
    weekday: Literal[WEEKDAYS] | None = None  # type: ignore[valid-type]

    @field_validator("at", mode="before")
    @classmethod
    def _text(cls, at: Any) -> Any:
        # Unquoted in YAML, 2026-11-27T12:00:00Z arrives as a datetime and 20:00 as the
        # sexagesimal integer 1200: take the first as written, refuse the second clearly.
        if isinstance(at, dt.datetime):
            return at.isoformat()
        if isinstance(at, int):
            raise ValueError('write the local time in quotes, e.g. at: "20:00"')
        return at

    @model_validator(mode="after")
    def _consistent(self) -> Burst:
        if self.every is None:
            if self.weekday is not None:
                raise ValueError("weekday needs every: week")
            self.once_at()  # raises when `at` is not an absolute time
            return self
        if not _LOCAL_TIME.match(self.at):
            raise ValueError(f"at {self.at!r}: with every: {self.every}, at is a local HH:MM")
        if (self.every == "week") != (self.weekday is not None):
            raise ValueError("weekday is required with every: week, and only then")
        period = DAY_SECONDS if self.every == "day" else WEEK_SECONDS
        if self.duration_seconds > period:
            raise ValueError(
                f"durationSeconds {self.duration_seconds:g} is longer than its period "
                f"({period:g} s): the burst would overlap itself"
            )
        return self

    def once_at(self) -> float:
        """Unix seconds of a one-time burst's start (ValueError if ``at`` is not one)."""
        try:
            moment = dt.datetime.fromisoformat(self.at.replace("Z", "+00:00"))
        except ValueError:
            raise ValueError(
                f"at {self.at!r}: without every, at is an RFC 3339 time such as "
                "2026-11-27T12:00:00Z"
            ) from None
        if moment.tzinfo is None:
            raise ValueError(f"at {self.at!r}: give a zone (Z or +01:00)")
        return moment.timestamp()

    def local_offset_seconds(self) -> float:
        """Seconds after local midnight (``every: day``) or local Monday 00:00 (``week``)."""
        hours, minutes = (int(part) for part in self.at.split(":"))
        day = WEEKDAYS.index(self.weekday) if self.weekday else 0
        return day * DAY_SECONDS + hours * 3600.0 + minutes * 60.0


class Shape(_Model):
    """A stream's shape (see the module docstring). The empty shape is flat: factor 1."""

    daily: bool = False
    stages: tuple[Stage, ...] = Field(default=(), max_length=MAX_STAGES)
    repeat_stages: bool = False
    bursts: tuple[Burst, ...] = Field(default=(), max_length=MAX_BURSTS)
    start: dt.datetime | None = None
    time_scale: float = Field(default=1.0, ge=1.0, le=MAX_TIME_SCALE)

    @field_validator("start")
    @classmethod
    def _zoned(cls, start: dt.datetime | None) -> dt.datetime | None:
        if start is not None and start.tzinfo is None:
            raise ValueError("give a zone (Z or +01:00)")
        return start

    @model_validator(mode="after")
    def _repeat_needs_stages(self) -> Shape:
        if self.repeat_stages and not self.stages:
            raise ValueError("repeatStages needs stages")
        return self

    @property
    def flat(self) -> bool:
        """True when the shape leaves the base rate as it is at every moment."""
        return not (self.daily or self.stages or self.bursts)

    def document(self) -> str:
        """The shape as compact JSON with camelCase keys (what the live ConfigMap holds)."""
        return json.dumps(
            self.model_dump(mode="json", by_alias=True, exclude_defaults=True),
            separators=(",", ":"),
            sort_keys=True,
        )


def problems(error: ValidationError, prefix: str) -> list[str]:
    """One ``prefix.field: message`` line per pydantic error, fields in camelCase."""
    lines = []
    for item in error.errors():
        path = prefix
        for part in item["loc"]:
            path += f"[{part}]" if isinstance(part, int) else f".{to_camel(str(part))}"
        message = str(item["msg"]).removeprefix("Value error, ")
        lines.append(f"{path}: {message}")
    return lines


def parse_shape(raw: Any, source: str) -> Shape:
    """A :class:`Shape` from a mapping (or YAML/JSON text); ConfigError names ``source``
    and every bad field on one line."""
    if isinstance(raw, str | bytes):
        try:
            raw = yaml.safe_load(raw)
        except yaml.YAMLError as error:
            first = str(error).splitlines()[0]
            raise ConfigError(f"{source}: not YAML or JSON ({first})") from None
    if raw is None:
        raw = {}
    if not isinstance(raw, dict):
        raise ConfigError(f"{source}: a shape is a mapping, not {type(raw).__name__}")
    try:
        return Shape.model_validate(raw)
    except ValidationError as error:
        raise ConfigError(f"{source}: " + "; ".join(problems(error, "shape"))) from None
