"""Where generated events go: the :class:`Sink` protocol and its implementations.

Concrete sinks live in their own modules (``stdout``, ``jsonl``, ``gcs``, ``pubsub``) and are
built from settings by :mod:`eventgen.sinks.factory`, so importing this package stays cheap
and does not pull in cloud client libraries.
"""

from __future__ import annotations

from eventgen.sinks.base import DeliveryStats, Sink

__all__ = ["DeliveryStats", "Sink"]
