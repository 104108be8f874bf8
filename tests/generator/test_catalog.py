"""The shop's pools as a data engineer sees them: real cities, unique product names, and
customers whose activity stays believable."""

from __future__ import annotations

from collections import Counter

import numpy as np
import orjson
import pytest

from eventgen.shop.catalog import build_catalog, city_table, unique_names
from eventgen.shop.generation import EventStream
from eventgen.shop.locales import SUPPORTED_LOCALES
from eventgen.shop.options import GeneratorOptions


def test_the_city_list_has_30_to_50_distinct_cities_per_country() -> None:
    table = city_table()
    assert set(table) == {locale.split("_")[1] for locale in SUPPORTED_LOCALES}
    for country, cities in table.items():
        assert 30 <= len(cities) <= 50, country
        assert all(population > 0 for population in cities.values()), country


@pytest.mark.parametrize("locale", sorted(SUPPORTED_LOCALES))
def test_customers_live_in_real_cities_of_the_shops_country(locale: str) -> None:
    catalog = build_catalog(5, locale, products=20, customers=20_000)
    country = locale.split("_")[1]
    real = city_table()[country]
    assert catalog.country == country
    assert set(catalog.customer_cities) <= set(real)
    counts = Counter(catalog.customer_cities)
    assert len(counts) >= 25  # customers spread over the country, not one town
    # Cities hold customers in proportion to their population.
    biggest = max(real, key=lambda city: real[city])
    population_share = real[biggest] / sum(real.values())
    assert counts[biggest] / 20_000 == pytest.approx(population_share, abs=0.02)
    first_city = catalog.cities[int(catalog.customer_city[0])]
    fragment = catalog.city_fragments[int(catalog.customer_city[0])]
    assert orjson.loads(b"{%s}" % fragment) == {"country": country, "city": first_city}


def test_every_product_has_its_own_name_even_in_a_large_pool() -> None:
    # 20,000 products from a vocabulary of a few thousand combinations: many collide.
    catalog = build_catalog(2, "en_US", products=20_000, customers=10)
    assert len(set(catalog.product_names)) == 20_000
    for name, brand in zip(catalog.product_names[:200], catalog.product_brands, strict=False):
        assert name.startswith(brand)


def test_a_repeated_name_gets_a_variant_and_the_first_keeps_its_name() -> None:
    names = unique_names(["Acme Pan", "Acme Pan", "Acme Pan II", "Acme Pan", "Acme Kettle"])
    assert names[0] == "Acme Pan"
    assert names[2] == "Acme Pan II"
    assert len(set(names)) == 5
    assert all(name.startswith("Acme Pan") for name in names[:4])


def test_no_customer_orders_far_more_than_the_rest() -> None:
    catalog = build_catalog(9, "en_US", products=10, customers=200_000)
    weights = np.diff(catalog.customer_cumulative, prepend=0.0)
    assert weights.max() / weights.mean() < 8  # capped lognormal: about 7.5
    assert weights.max() / np.median(weights) > 5  # but still a heavy tail


def test_a_days_batch_at_documented_volume_keeps_customers_believable() -> None:
    # 200,000 events in a day (about 47,000 orders) from the default pool.
    options = GeneratorOptions(seed=4, events_per_second=200_000 / 86_400)
    stream = EventStream(options, "gen-day")
    placed: Counter[str] = Counter()
    for _ in range(4):
        for payload in stream.next_batch(50_000).payloads:
            event = orjson.loads(payload)
            if event["event_type"] == "order_placed":
                placed[event["customer_id"]] += 1
    orders = sum(placed.values())
    assert 40_000 < orders < 55_000
    assert max(placed.values()) <= 15  # was 159 with 10,000 customers
    assert orders / len(placed) < 1.5  # most customers order once in a day, if at all
