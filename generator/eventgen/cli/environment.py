"""Environment defaults: every flag ``--foo-bar`` also reads ``EVENTGEN_FOO_BAR``.

The environment supplies defaults, flags override them. Environment values are converted
and checked exactly like flag values, so a bad ``EVENTGEN_RATE`` fails with the same
reason as a bad ``--rate``, as one line naming the variable
(:class:`~eventgen.errors.ConfigError`). The names follow :func:`eventgen.contract.env_name`,
the rule the operator -> generator contract table is written in.
"""

from __future__ import annotations

import argparse
from collections.abc import Mapping

from eventgen.cli.converters import true_or_false
from eventgen.contract import env_name
from eventgen.errors import ConfigError


def parse_bool(text: str, name: str) -> bool:
    """An on/off variable (``--gzip``'s EVENTGEN_GZIP): the words of
    :func:`~eventgen.cli.converters.true_or_false`, an error naming the variable."""
    try:
        return true_or_false(text)
    except ValueError:
        raise ConfigError(f"{name}={text!r}: expected true or false") from None


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
