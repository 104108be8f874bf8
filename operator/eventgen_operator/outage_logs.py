"""Keep an API outage to two log lines, however many watches and generators wait.

kopf retries a failed API request every second (handlers.configure_settings) and logs each
attempt at ERROR, per watch and per pending patch or event: thousands of lines a minute.
This filter, on the log handlers, drops those lines when the cause is the server being
away (no connection, timeout, 5xx, 429) and tells the supervisor instead, which says
"unreachable" once and "reachable again" once. Refusals (403) still show, except while the
supervisor knows the server is away: an API server that is starting up answers 403 to
every ServiceAccount until its RBAC caches are filled, for a second or two.
"""

from __future__ import annotations

import logging
from collections.abc import Callable

# Substrings of the exception reprs kopf logs for a server that is away.
_AWAY = (
    "ClientConnectorError",
    "ServerDisconnectedError",
    "ClientOSError",
    "ConnectionRefused",
    "ConnectionReset",
    "TimeoutError",
    "ServerTimeoutError",
    "APIServerError",
    "APITooManyRequestsError",
    "Cannot connect to host",
)
# How kopf starts the lines it logs for each failed attempt.
_RETRY_LINES = ("Request attempt", "Failed to post an event")


class OutageFilter(logging.Filter):
    """Drops kopf's per-attempt lines about an unreachable API server (see module doc)."""

    def __init__(self) -> None:
        super().__init__()
        self.on_outage: Callable[[str], None] | None = None
        self.in_outage: Callable[[], bool] = lambda: False
        self.dropped = 0

    def filter(self, record: logging.LogRecord) -> bool:
        if record.levelno < logging.WARNING or not record.name.startswith("kopf"):
            return True
        message = record.getMessage()
        if not message.startswith(_RETRY_LINES):
            return True
        if not any(word in message for word in _AWAY):
            if "APIForbiddenError" in message and self.in_outage():
                self.dropped += 1
                return False  # a restarting server's RBAC is not ready yet
            return True
        self.dropped += 1
        if self.on_outage is not None:
            self.on_outage(message.split(" -> ", 1)[-1])
        return False


OUTAGE_FILTER = OutageFilter()


def install(root: logging.Logger | None = None) -> None:
    """Put the filter on every handler of `root` (the root logger by default)."""
    for handler in (root or logging.getLogger()).handlers:
        if OUTAGE_FILTER not in handler.filters:
            handler.addFilter(OUTAGE_FILTER)
