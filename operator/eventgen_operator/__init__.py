"""eventgen_operator: the kopf operator that runs EventGenerator resources as generator pods."""

__version__ = "0.1.0"
