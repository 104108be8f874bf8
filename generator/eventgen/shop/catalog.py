"""The shop's stable pools: products (name, category, brand, price) and customers (city).

The pools are built once per seed and locale (brands from Faker's surnames, cities from
the packaged list of real cities, ``data/cities.json``); events then only draw indices into
them, so a product_id always has the same name, category and price, and a customer_id
always ships to the same city. JSON fragments of every pool entry are encoded here, once, so the
per-event work is a lookup (see :mod:`eventgen.shop.encoding`).
"""

from __future__ import annotations

import itertools
import json
from dataclasses import dataclass
from functools import lru_cache
from importlib import resources
from typing import Any

import numpy as np
import numpy.typing as npt
import orjson
from faker import Faker

from eventgen.shop.locales import SUPPORTED_LOCALES
from eventgen.shop.model import ProductCategory
from eventgen.shop.randomness import F64, I64, cumulative_weights
from eventgen.shop.seeding import derive_seed

I16 = npt.NDArray[np.int16]
BRANDS_PER_CATEGORY = 8
# Customer activity: lognormal weights (sigma 1) capped at e^2.5, so the busiest customers
# order about 7.5 times as often as the average one and never more (bounded heavy tail).
CUSTOMER_ACTIVITY_SIGMA = 1.0
CUSTOMER_ACTIVITY_CAP = float(np.exp(2.5))
# Suffixes that tell apart products whose brand, adjective and noun coincide, in order of
# use; past them, "Edition N".
VARIANT_SUFFIXES = ("II", "Plus", "Mini", "XL", "Lite", "III", "Max", "S")


@lru_cache(maxsize=1)
def vocabulary() -> dict[str, Any]:
    """The packaged product vocabulary and categorical weights (``data/catalog.json``)."""
    text = resources.files("eventgen.shop").joinpath("data/catalog.json").read_text("utf-8")
    data: dict[str, Any] = json.loads(text)
    if set(data["categories"]) != {category.value for category in ProductCategory}:
        raise ValueError("data/catalog.json categories differ from model.ProductCategory")
    return data


@lru_cache(maxsize=1)
def city_table() -> dict[str, dict[str, int]]:
    """Real cities per country code: ``{country: {city: population in thousands}}``."""
    text = resources.files("eventgen.shop").joinpath("data/cities.json").read_text("utf-8")
    cities: dict[str, dict[str, int]] = json.loads(text)["cities"]
    return cities


def country_cities(country: str) -> tuple[list[str], F64]:
    """The cities of ``country`` (ISO 3166 code) and their cumulative population weights."""
    table = city_table().get(country)
    if not table:
        raise ValueError(f"data/cities.json has no cities for country {country!r}")
    return list(table), cumulative_weights([float(p) for p in table.values()])


def unique_names(names: list[str]) -> list[str]:
    """``names`` with a variant suffix added to each repeat, so every name is unique."""
    taken = set(names)
    seen: set[str] = set()
    out: list[str] = []
    for name in names:
        unique = name
        if name in seen:
            variants = (f"{name} {suffix}" for suffix in VARIANT_SUFFIXES)
            editions = (f"{name} Edition {n}" for n in itertools.count(2))
            unique = next(v for v in itertools.chain(variants, editions) if v not in taken)
            taken.add(unique)
        seen.add(name)
        out.append(unique)
    return out


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
    cities: list[str]
    # Per customer (index i is CUST-{i+1:08d}): index of its city in ``cities``.
    customer_city: I16
    customer_cumulative: F64
    # `"product_id":"…","product_name":"…","product_category":"…"` per product.
    product_fragments: list[bytes]
    # `"country":"…","city":"…"` per city (customers share them: a pool of a million
    # customers costs 10 bytes each, not a Python object each).
    city_fragments: list[bytes]

    @property
    def customer_cities(self) -> list[str]:
        """The city of each customer (a list as long as the pool)."""
        return [self.cities[i] for i in self.customer_city.tolist()]


def customer_id(index: int) -> str:
    """The id of the customer at ``index`` of the pool (``CUST-`` and 8 digits, from 1)."""
    return f"CUST-{index + 1:08d}"


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
    names = unique_names(names)
    # Popularity: a Zipf-like long tail over a random ranking of the products.
    ranks = rng.permutation(products) + 1
    product_weights = 1.0 / ranks.astype(np.float64) ** 0.8

    country = faker.current_country_code()
    cities, city_cumulative = country_cities(country)
    # Where each customer lives: cities in proportion to their population.
    picks = np.searchsorted(city_cumulative, rng.random(customers), side="right")
    city_of: I16 = np.minimum(picks, len(cities) - 1).astype(np.int16)
    # Some customers order far more often than others, up to a cap.
    customer_weights = np.minimum(
        rng.lognormal(0.0, CUSTOMER_ACTIVITY_SIGMA, size=customers), CUSTOMER_ACTIVITY_CAP
    )
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
        cities=cities,
        customer_city=city_of,
        customer_cumulative=cumulative_weights(customer_weights),
        product_fragments=[
            b'"product_id":%s,"product_name":%s,"product_category":%s'
            % (_json_str(pid), _json_str(name), _json_str(cat))
            for pid, name, cat in zip(ids, names, cats, strict=True)
        ],
        city_fragments=[
            b'"country":%s,"city":%s' % (_json_str(country), _json_str(city)) for city in cities
        ],
    )
