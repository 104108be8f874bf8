"""Flag values: text from a flag or an ``EVENTGEN_*`` variable turned into a typed value.

Each converter raises ValueError with a one-line reason; :func:`flag_type` hands it to
argparse, and :mod:`eventgen.cli.environment` reports it with the variable's name, so a bad
``EVENTGEN_SPAN`` fails with the same reason as a bad ``--span``.
"""

from __future__ import annotations

import argparse
import datetime as dt
import functools
import math
import re
from collections.abc import Callable
from typing import TypeVar

from eventgen.bounds import MAX_DURATION_SECONDS, period_problem

T = TypeVar("T")
TRUE_WORDS = frozenset({"1", "true", "yes", "on"})
FALSE_WORDS = frozenset({"0", "false", "no", "off", ""})
# A sign is accepted so that "-5s" is refused as "must be greater than zero", not as a typo.
_DURATION = re.compile(r"^\s*([+-]?\d+(?:\.\d+)?)\s*(ms|s|m|h|d)?\s*$")
_UNITS = {"ms": 0.001, "s": 1.0, "m": 60.0, "h": 3600.0, "d": 86400.0, None: 1.0}
_SIZE = re.compile(r"^\s*(\d+)\s*([kmg]i?b?|b)?\s*$", re.IGNORECASE)


def flag_type(parse: Callable[[str], T]) -> Callable[[str], T]:
    """Wrap a parser so argparse shows its own message ("invalid duration '5x' ...")."""

    @functools.wraps(parse)
    def checked(text: str) -> T:
        try:
            return parse(text)
        except ValueError as error:
            raise argparse.ArgumentTypeError(str(error)) from None

    return checked


def parse_duration(text: str) -> float:
    """Seconds from ``90``, ``90s``, ``250ms``, ``15m``, ``6h`` or ``1d``."""
    match = _DURATION.match(text)
    if not match:
        raise ValueError(f"invalid duration {text!r} (examples: 30s, 15m, 6h, 1d)")
    seconds = float(match.group(1)) * _UNITS[match.group(2)]
    if seconds <= 0:
        raise ValueError(f"duration {text!r} must be greater than zero")
    if seconds > MAX_DURATION_SECONDS:
        raise ValueError(f"duration {text!r} is longer than {MAX_DURATION_SECONDS / 86_400:.0f}d")
    return seconds


def parse_size(text: str) -> int:
    """Bytes from ``1048576``, ``512k``, ``64MiB``, ``1G`` (powers of 1024)."""
    match = _SIZE.match(text)
    if not match:
        raise ValueError(f"invalid size {text!r} (examples: 1048576, 512KiB, 64MiB)")
    unit = (match.group(2) or "b").lower()[:1]
    size = int(match.group(1)) * {"b": 1, "k": 1024, "m": 1024**2, "g": 1024**3}[unit]
    if size <= 0:
        raise ValueError(f"size {text!r} must be greater than zero")
    return size


def parse_start(text: str) -> dt.datetime:
    """An ISO date or datetime in UTC (naive values are UTC), within
    :func:`eventgen.bounds.period_problem`'s range."""
    try:
        value = dt.datetime.fromisoformat(text)
        value = (value if value.tzinfo else value.replace(tzinfo=dt.UTC)).astimezone(dt.UTC)
    except ValueError:
        raise ValueError(f"invalid start {text!r} (use an ISO date or datetime)") from None
    except OverflowError:
        raise ValueError(f"start {text!r} is outside the years 1970 to 9998") from None
    problem = period_problem(value)
    if problem:
        raise ValueError(f"start {text!r} {problem}")
    return value


def non_negative_int(text: str) -> int:
    """An integer >= 0."""
    value = _integer(text)
    if value < 0:
        raise ValueError(f"{text!r} must be >= 0")
    return value


def exit_code(text: str) -> int:
    """A process exit code: a whole number from 0 to 255."""
    value = non_negative_int(text)
    if value > 255:
        raise ValueError(f"exit code {text!r} must be from 0 to 255")
    return value


def port_number(text: str) -> int:
    """A TCP port: a whole number from 0 to 65535 (0 where the caller means "off")."""
    value = non_negative_int(text)
    if value > 65535:
        raise ValueError(f"port {text!r} must be from 0 to 65535")
    return value


def positive_int(text: str) -> int:
    """An integer >= 1."""
    value = _integer(text)
    if value < 1:
        raise ValueError(f"{text!r} must be >= 1")
    return value


def _integer(text: str) -> int:
    try:
        return int(text)
    except ValueError:
        raise ValueError(f"{text!r} is not an integer") from None


def finite_float(text: str) -> float:
    """A finite decimal number (``nan`` and ``inf`` would slip past range checks)."""
    try:
        value = float(text)
    except ValueError:
        raise ValueError(f"{text!r} is not a number") from None
    if not math.isfinite(value):
        raise ValueError(f"{text!r} is not a finite number")
    return value


def non_empty(text: str) -> str:
    """Text that is not empty or only blanks (an empty name or path is always a mistake)."""
    if not text.strip():
        raise ValueError("must not be empty")
    return text


def true_or_false(text: str) -> bool:
    """A boolean option's value: 1/true/yes/on or 0/false/no/off (case-insensitive)."""
    word = text.strip().lower()
    if word in TRUE_WORDS:
        return True
    if word in FALSE_WORDS:
        return False
    raise ValueError(f"expected true or false, got {text!r}")
