"""The one exception tree of the ``eventgen`` package.

Every error the package raises on purpose derives from :class:`EventgenError`, so the CLI
can map the whole tree to one-line messages and exit codes without catching unrelated bugs:
``ConfigError`` (bad options or environment) exits 2, everything else exits 1.
"""

from __future__ import annotations


class EventgenError(Exception):
    """Base of every error eventgen raises deliberately; its message is one line for users."""


class ConfigError(EventgenError):
    """Invalid options, flags or environment variables (the user must change their input)."""


class SinkError(EventgenError):
    """A sink cannot deliver events and will not recover (bad credentials, missing topic...)."""


class LiveRateError(EventgenError):
    """A live-rate source (file or ConfigMap) holds a value that is not a valid rate."""
