"""Settings from flags and environment: every flag ``--foo-bar`` also reads ``EVENTGEN_FOO_BAR``.

The environment supplies defaults, flags override them. Environment values are converted
and checked exactly like flag values, so a bad ``EVENTGEN_RATE`` fails with the same
one-line error as a bad ``--rate``. Cross-field checks (a sink's required targets, shard
bounds) happen here too, and raise :class:`~eventgen.errors.ConfigError`.
"""

from __future__ import annotations

import argparse
import datetime as dt
import functools
import math
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import TypeVar

from eventgen.bounds import MAX_DURATION_SECONDS, period_problem, rate_problem
from eventgen.errors import ConfigError

T = TypeVar("T")
ENV_PREFIX = "EVENTGEN_"
SINKS = ("stdout", "jsonl", "pubsub", "gcs")
TRUE_WORDS = frozenset({"1", "true", "yes", "on"})
FALSE_WORDS = frozenset({"0", "false", "no", "off", ""})
# A sign is accepted so that "-5s" is refused as "must be greater than zero", not as a typo.
_DURATION = re.compile(r"^\s*([+-]?\d+(?:\.\d+)?)\s*(ms|s|m|h|d)?\s*$")
_UNITS = {"ms": 0.001, "s": 1.0, "m": 60.0, "h": 3600.0, "d": 86400.0, None: 1.0}
_SIZE = re.compile(r"^\s*(\d+)\s*([kmg]i?b?|b)?\s*$", re.IGNORECASE)


def env_name(flag: str) -> str:
    """``--foo-bar`` -> ``EVENTGEN_FOO_BAR``."""
    return ENV_PREFIX + flag.lstrip("-").replace("-", "_").upper()


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


def checked_generator_id(generator_id: str) -> str:
    """``generator_id`` if it is usable in file and object names, else ConfigError.

    It names the JSONL parts (``<generator_id>-part-00000.jsonl``), so a ``/`` would put
    them in another folder (``../x`` outside ``--output``) or fail with a missing folder.
    """
    if not generator_id or "/" in generator_id or "\\" in generator_id or "\0" in generator_id:
        raise ConfigError(
            f"generator_id {generator_id!r} (--generator-id, else --name) must be non-empty, "
            "without '/' or '\\': it names the output files"
        )
    return generator_id


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


def rate_value(text: str) -> float:
    """A rate in events per second: finite, >= 0, at most :data:`eventgen.bounds.MAX_RATE`."""
    try:
        value = float(text)
    except ValueError:
        raise ValueError(f"rate {text!r} is not a number") from None
    problem = rate_problem(value)
    if problem:
        raise ValueError(f"rate {text!r} {problem}")
    return value


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


def parse_bool(text: str, name: str) -> bool:
    """An environment flag: 1/true/yes/on or 0/false/no/off (case-insensitive)."""
    word = text.strip().lower()
    if word in TRUE_WORDS:
        return True
    if word in FALSE_WORDS:
        return False
    raise ConfigError(f"{name}={text!r}: expected true or false")


def apply_environment(parser: argparse.ArgumentParser, environ: Mapping[str, str]) -> None:
    """Turn ``EVENTGEN_*`` variables into defaults of ``parser``'s options (flags still win)."""
    defaults: dict[str, object] = {}
    for action in parser._actions:  # argparse offers no public way to list options
        long_flags = [flag for flag in action.option_strings if flag.startswith("--")]
        if not long_flags or action.dest == "help":
            continue
        name = env_name(long_flags[0])
        if name not in environ:
            continue
        raw = environ[name]
        if isinstance(action, argparse._StoreTrueAction):
            defaults[action.dest] = parse_bool(raw, name)
            continue
        try:
            value = action.type(raw) if callable(action.type) else raw
        except (TypeError, ValueError, argparse.ArgumentTypeError) as error:
            raise ConfigError(f"{name}={raw!r}: {error}") from None
        if action.choices is not None and value not in action.choices:
            choices = ", ".join(map(str, action.choices))
            raise ConfigError(f"{name}={raw!r}: choose from {choices}")
        defaults[action.dest] = value
    parser.set_defaults(**defaults)


@dataclass(frozen=True)
class SinkSettings:
    """Where events go. ``kind`` is one of :data:`SINKS`; the rest depends on it."""

    kind: str
    output: Path | None = None
    output_is_folder: bool = False
    gzip: bool = False
    rotate_bytes: int | None = None
    rotate_seconds: float | None = None
    gcs_bucket: str | None = None
    gcs_prefix: str = "raw/"
    pubsub_project: str | None = None
    pubsub_topic: str | None = None
    ordering_key: str | None = None
    flush_timeout: float = 30.0


def sink_settings(args: argparse.Namespace) -> SinkSettings:
    """Validate the sink options in ``args`` (parsed flags + environment)."""
    output_text: str | None = args.output
    kind: str = args.sink or ("jsonl" if output_text else "stdout")
    output = Path(output_text) if output_text else None
    folder = False
    if kind == "jsonl":
        if output is None:
            raise ConfigError("--sink jsonl needs --output PATH (a file, or a folder ending in /)")
        folder = output.is_dir() or (output_text or "").endswith("/")
    elif output is not None:
        raise ConfigError(f"--output is only used by --sink jsonl (the sink is {kind})")
    if kind == "gcs" and not args.gcs_bucket:
        raise ConfigError("--sink gcs needs --gcs-bucket")
    if kind == "pubsub" and not (args.pubsub_project and args.pubsub_topic):
        raise ConfigError("--sink pubsub needs --pubsub-project and --pubsub-topic")
    rotating = args.rotate_bytes is not None or args.rotate_seconds is not None
    if rotating and kind not in ("jsonl", "gcs"):
        raise ConfigError(f"--rotate-bytes/--rotate-seconds apply to jsonl and gcs, not {kind}")
    if rotating and kind == "jsonl" and not folder:
        raise ConfigError("--rotate-bytes/--rotate-seconds need --output to be a folder (end in /)")
    if args.gzip and kind not in ("jsonl", "gcs"):
        raise ConfigError(f"--gzip applies to jsonl and gcs, not {kind}")
    return SinkSettings(
        kind=kind,
        output=output,
        output_is_folder=folder,
        gzip=args.gzip,
        rotate_bytes=args.rotate_bytes,
        rotate_seconds=args.rotate_seconds,
        gcs_bucket=args.gcs_bucket,
        gcs_prefix=args.gcs_prefix,
        pubsub_project=args.pubsub_project,
        pubsub_topic=args.pubsub_topic,
        ordering_key=args.ordering_key,
        flush_timeout=args.flush_timeout,
    )


@dataclass(frozen=True)
class ShardPlan:
    """Which slice of a batch this process writes."""

    index: int
    count: int
    events: int
    """Events in this shard: total // count, plus one for the first total % count shards."""


def plan_shard(total: int, index: int, count: int) -> ShardPlan:
    """Shard ``index`` of ``count`` over ``total`` events (ConfigError if out of range)."""
    if count < 1:
        raise ConfigError(f"--shard-count must be >= 1, got {count}")
    if not 0 <= index < count:
        raise ConfigError(f"--shard-index {index} is outside 0..{count - 1}")
    events = total // count + (1 if index < total % count else 0)
    return ShardPlan(index=index, count=count, events=events)


def shard_index(args: argparse.Namespace, environ: Mapping[str, str]) -> int:
    """--shard-index / EVENTGEN_SHARD_INDEX, else JOB_COMPLETION_INDEX (indexed Jobs), else 0."""
    if args.shard_index is not None:
        return int(args.shard_index)
    raw = environ.get("JOB_COMPLETION_INDEX")
    if raw is None:
        return 0
    try:
        return non_negative_int(raw)
    except ValueError:
        raise ConfigError(f"JOB_COMPLETION_INDEX={raw!r}: expected an integer >= 0") from None


def utc_midnight(now: dt.datetime | None = None) -> dt.datetime:
    """Midnight UTC of today (the default batch start)."""
    today = (now or dt.datetime.now(dt.UTC)).astimezone(dt.UTC).date()
    return dt.datetime.combine(today, dt.time(), tzinfo=dt.UTC)
