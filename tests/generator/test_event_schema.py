"""The model is the one source: BigQuery schema, JSON Schema and payloads agree with it."""

from __future__ import annotations

import json

import jsonschema
import pytest

from eventgen.shop.faults import malform
from eventgen.shop.model import Event, ProductCategory
from eventgen.shop.options import GeneratorOptions
from eventgen.shop.schema import bigquery_schema, json_schema
from tests.support.bigquery_schema import parse_event, schema_errors
from tests.support.event_streams import generate_batches, loaded_events, payloads_of

EXPECTED_TYPES = {
    "event_id": ("STRING", "REQUIRED"),
    "event_type": ("STRING", "REQUIRED"),
    "event_timestamp": ("TIMESTAMP", "REQUIRED"),
    "order_id": ("STRING", "REQUIRED"),
    "customer_id": ("STRING", "REQUIRED"),
    "product_id": ("STRING", "REQUIRED"),
    "product_name": ("STRING", "NULLABLE"),
    "product_category": ("STRING", "REQUIRED"),
    "quantity": ("INTEGER", "NULLABLE"),
    "unit_price": ("NUMERIC", "NULLABLE"),
    "discount_amount": ("NUMERIC", "NULLABLE"),
    "total_amount": ("NUMERIC", "NULLABLE"),
    "currency": ("STRING", "NULLABLE"),
    "payment_method": ("STRING", "NULLABLE"),
    "status": ("STRING", "REQUIRED"),
    "country": ("STRING", "NULLABLE"),
    "city": ("STRING", "NULLABLE"),
    "device": ("STRING", "NULLABLE"),
    "channel": ("STRING", "NULLABLE"),
    "generator_id": ("STRING", "REQUIRED"),
    "sequence": ("INTEGER", "REQUIRED"),
    "schema_version": ("INTEGER", "REQUIRED"),
}


@pytest.fixture(scope="module")
def payloads() -> list[bytes]:
    options = GeneratorOptions(seed=3, events_per_second=50, max_in_flight_orders=20_000)
    return payloads_of(generate_batches(options, 5_000, batch=1_000))


def test_bigquery_schema_has_the_design_fields_types_and_modes_in_model_order() -> None:
    schema = bigquery_schema()
    assert [field["name"] for field in schema] == list(Event.model_fields)
    assert {f["name"]: (f["type"], f["mode"]) for f in schema} == EXPECTED_TYPES
    assert all(set(field) == {"name", "type", "mode", "description"} for field in schema)
    assert all(field["description"] for field in schema)


def test_bigquery_schema_is_plain_json_a_table_definition_takes() -> None:
    text = json.dumps(bigquery_schema())
    assert json.loads(text) == bigquery_schema()


def test_json_schema_is_a_valid_draft_2020_12_schema_without_extra_fields() -> None:
    schema = json_schema()
    jsonschema.Draft202012Validator.check_schema(schema)
    assert schema["additionalProperties"] is False
    assert set(schema["required"]) == set(Event.model_fields)
    categories = schema["$defs"]["ProductCategory"]["enum"]
    assert categories == [category.value for category in ProductCategory]


def test_every_generated_event_validates_against_json_schema_bigquery_and_model(
    payloads: list[bytes],
) -> None:
    validator = jsonschema.Draft202012Validator(json_schema())
    for payload in payloads:
        validator.validate(json.loads(payload))
        Event.model_validate_json(payload)
    loaded_events(payloads)


def test_money_is_written_with_exactly_two_decimals(payloads: list[bytes]) -> None:
    for payload in payloads[:500]:
        for key in (b'"unit_price":', b'"discount_amount":', b'"total_amount":'):
            start = payload.index(key) + len(key)
            number = payload[start : payload.index(b",", start)]
            whole, _, cents = number.partition(b".")
            assert whole.isdigit() and len(cents) == 2 and cents.isdigit(), payload


@pytest.mark.parametrize("variant", [0, 1, 2])
def test_each_kind_of_malformed_event_fails_both_validators(
    payloads: list[bytes], variant: int
) -> None:
    broken = malform(payloads[0], variant)
    validator = jsonschema.Draft202012Validator(json_schema())
    try:
        event = parse_event(broken)
    except ValueError:
        assert variant == 0  # truncated JSON is not parseable at all
        return
    assert not validator.is_valid(event)
    assert schema_errors(event, bigquery_schema())


def test_bigquery_validator_rejects_unknown_fields_nulls_and_bad_timestamps(
    payloads: list[bytes],
) -> None:
    event = parse_event(payloads[0])
    schema = bigquery_schema()
    assert schema_errors(event, schema) == []
    assert schema_errors({**event, "surprise": 1}, schema)
    assert schema_errors({**event, "status": None}, schema)
    assert schema_errors({**event, "event_timestamp": "yesterday"}, schema)
    assert schema_errors({**event, "sequence": "7"}, schema)
