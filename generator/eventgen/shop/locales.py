"""Locales the shop can be set in: the currency and price scale that go with each.

Cities and brand names come from Faker in that locale; prices are drawn in US dollars and
scaled here, so a product costs about the same everywhere (JPY prices are whole yen).
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class LocaleMoney:
    """Currency of a locale: ISO 4217 code, units per US dollar, smallest price step (cents)."""

    currency: str
    per_usd: float
    price_step_cents: int


SUPPORTED_LOCALES: dict[str, LocaleMoney] = {
    "en_US": LocaleMoney("USD", 1.0, 1),
    "en_GB": LocaleMoney("GBP", 0.79, 1),
    "en_CA": LocaleMoney("CAD", 1.36, 1),
    "en_AU": LocaleMoney("AUD", 1.52, 1),
    "de_DE": LocaleMoney("EUR", 0.92, 1),
    "fr_FR": LocaleMoney("EUR", 0.92, 1),
    "es_ES": LocaleMoney("EUR", 0.92, 1),
    "it_IT": LocaleMoney("EUR", 0.92, 1),
    "nl_NL": LocaleMoney("EUR", 0.92, 1),
    "pt_BR": LocaleMoney("BRL", 5.0, 1),
    "ja_JP": LocaleMoney("JPY", 150.0, 100),
}


def supported_locale(locale: str) -> str:
    """``locale`` itself when the shop can be set in it; ValueError naming the choices."""
    if locale not in SUPPORTED_LOCALES:
        known = ", ".join(sorted(SUPPORTED_LOCALES))
        raise ValueError(f"unsupported locale {locale!r} (supported: {known})")
    return locale
