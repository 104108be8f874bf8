"""The shop's stable pools: products (name, category, brand, price) and customers (city).

Faker builds the pools once per seed and locale; events then only draw indices into them,
so a product_id always has the same name, category and price, and a customer_id always
ships to the same city. JSON fragments of every pool entry are encoded here, once, so the
per-event work is a lookup (see :mod:`eventgen.encoding`).
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from functools import lru_cache
from importlib import resources
from typing import Any

import numpy as np
import orjson
from faker import Faker

from eventgen.locales import SUPPORTED_LOCALES
from eventgen.model import ProductCategory
from eventgen.randomness import F64, I64, cumulative_weights
from eventgen.seeding import derive_seed

CITIES_PER_POOL = 400  # distinct shipping cities; customers cluster in the big ones
BRANDS_PER_CATEGORY = 8


@lru_cache(maxsize=1)
def vocabulary() -> dict[str, Any]:
    """The packaged product vocabulary and categorical weights (``data/catalog.json``)."""
    text = resources.files("eventgen").joinpath("data/catalog.json").read_text("utf-8")
    data: dict[str, Any] = json.loads(text)
    if set(data["categories"]) != {category.value for category in ProductCategory}:
        raise ValueError("data/catalog.json categories differ from model.ProductCategory")
    return data


def weighted_labels(table: dict[str, float]) -> tuple[list[str], F64]:
    """Labels of a ``{label: weight}`` table and their cumulative weights."""
    return list(table), cumulative_weights(list(table.values()))


def _json_str(text: str) -> bytes:
    return orjson.dumps(text)


@dataclass(frozen=True)
class Catalog:
    """Products and customers of one shop, as arrays and pre-encoded JSON fragments.

    Money is in integer cents of ``currency`` (for JPY, whole yen are 100 "cents", so
    every amount still prints with two decimals).
    """

    locale: str
    currency: str
    country: str
    price_step_cents: int
    product_ids: list[str]
    product_names: list[str]
    product_categories: list[str]
    product_brands: list[str]
    product_price_cents: I64
    product_cumulative: F64
    customer_ids: list[str]
    customer_cities: list[str]
    customer_cumulative: F64
    # `"product_id":"…","product_name":"…","product_category":"…"` per product.
    product_fragments: list[bytes]
    # `"customer_id":"…"` and `"country":"…","city":"…"` per customer.
    customer_fragments: list[bytes]
    location_fragments: list[bytes]


def _price_cents(rng: np.random.Generator, median_usd: float, sigma: float, locale: str) -> int:
    money = SUPPORTED_LOCALES[locale]
    price = median_usd * float(np.exp(sigma * rng.standard_normal())) * money.per_usd
    if money.price_step_cents >= 100:
        # Whole-unit currencies (JPY): round to tens of units, never below 100.
        units = max(100, round(price / 10.0) * 10)
        return units * 100
    # Charm pricing: x.99, never below 0.99.
    return max(1, round(price)) * 100 - 1


def build_catalog(seed: int, locale: str, products: int, customers: int) -> Catalog:
    """Build the pools of a shop; the same (seed, locale, sizes) always give the same pools."""
    words = vocabulary()
    faker = Faker(locale, use_weighting=False)
    faker.seed_instance(derive_seed(seed, "faker", locale))
    rng = np.random.default_rng(derive_seed(seed, "catalog"))
    money = SUPPORTED_LOCALES[locale]

    categories = list(words["categories"])
    shares = [words["categories"][name]["order_share"] for name in categories]
    # Every category gets products in proportion to its share of orders.
    category_of = rng.choice(len(categories), size=products, p=np.array(shares) / sum(shares))
    brands = {
        name: [
            f"{faker.last_name()} {rng.choice(words['categories'][name]['brand_suffixes'])}"
            for _ in range(BRANDS_PER_CATEGORY)
        ]
        for name in categories
    }
    ids, names, cats, brand_of, prices = [], [], [], [], []
    for index in range(products):
        name = categories[int(category_of[index])]
        entry = words["categories"][name]
        brand = str(rng.choice(brands[name]))
        title = f"{brand} {rng.choice(entry['adjectives'])} {rng.choice(entry['nouns'])}"
        ids.append(f"PROD-{index + 1:06d}")
        names.append(title)
        cats.append(name)
        brand_of.append(brand)
        prices.append(_price_cents(rng, entry["price_median_usd"], entry["price_sigma"], locale))
    # Popularity: a Zipf-like long tail over a random ranking of the products.
    ranks = rng.permutation(products) + 1
    product_weights = 1.0 / ranks.astype(np.float64) ** 0.8

    cities = sorted({faker.city() for _ in range(CITIES_PER_POOL)})
    rng.shuffle(cities)
    city_weights = 1.0 / np.arange(1, len(cities) + 1, dtype=np.float64)
    city_of = rng.choice(len(cities), size=customers, p=city_weights / city_weights.sum())
    customer_ids = [f"CUST-{index + 1:08d}" for index in range(customers)]
    customer_cities = [cities[int(i)] for i in city_of]
    # Some customers order far more often than others.
    customer_weights = rng.lognormal(0.0, 1.0, size=customers)
    country = faker.current_country_code()

    return Catalog(
        locale=locale,
        currency=money.currency,
        country=country,
        price_step_cents=money.price_step_cents,
        product_ids=ids,
        product_names=names,
        product_categories=cats,
        product_brands=brand_of,
        product_price_cents=np.array(prices, dtype=np.int64),
        product_cumulative=cumulative_weights(product_weights),
        customer_ids=customer_ids,
        customer_cities=customer_cities,
        customer_cumulative=cumulative_weights(customer_weights),
        product_fragments=[
            b'"product_id":%s,"product_name":%s,"product_category":%s'
            % (_json_str(pid), _json_str(name), _json_str(cat))
            for pid, name, cat in zip(ids, names, cats, strict=True)
        ],
        customer_fragments=[b'"customer_id":%s' % _json_str(cid) for cid in customer_ids],
        location_fragments=[
            b'"country":%s,"city":%s' % (_json_str(country), _json_str(city))
            for city in customer_cities
        ],
    )
