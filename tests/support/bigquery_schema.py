"""Check a JSON event against a BigQuery table schema, as a BigQuery JSON load would.

Types: STRING is a JSON string; INTEGER a JSON integer; NUMERIC a JSON number (or numeric
string) with at most 9 decimal places (BigQuery NUMERIC's scale); TIMESTAMP an RFC 3339
string with a UTC offset; BOOLEAN true/false. REQUIRED fields must be present and not null;
fields the schema does not know are rejected.
"""

from __future__ import annotations

import json
from datetime import datetime
from decimal import Decimal, InvalidOperation
from typing import Any

NUMERIC_SCALE = 9


def parse_event(payload: bytes) -> dict[str, Any]:
    """Parse a payload keeping JSON numbers with a fraction as exact Decimals."""
    event = json.loads(payload, parse_float=Decimal)
    if not isinstance(event, dict):
        raise ValueError("event is not a JSON object")
    return event


def _type_error(bq_type: str, value: Any) -> str | None:
    if bq_type == "STRING":
        return None if isinstance(value, str) else "expected a string"
    if bq_type == "INTEGER":
        ok = isinstance(value, int) and not isinstance(value, bool)
        return None if ok else "expected an integer"
    if bq_type == "BOOLEAN":
        return None if isinstance(value, bool) else "expected true or false"
    if bq_type == "NUMERIC":
        if isinstance(value, bool) or not isinstance(value, int | float | Decimal | str):
            return "expected a number"
        try:
            number = Decimal(str(value))
        except InvalidOperation:
            return "expected a number"
        exponent = number.as_tuple().exponent
        if not isinstance(exponent, int) or -exponent > NUMERIC_SCALE:
            return f"more than {NUMERIC_SCALE} decimal places"
        return None
    if bq_type == "TIMESTAMP":
        if not isinstance(value, str):
            return "expected an RFC 3339 string"
        try:
            parsed = datetime.fromisoformat(value)
        except ValueError:
            return "not an RFC 3339 timestamp"
        return None if parsed.tzinfo is not None else "timestamp without a UTC offset"
    return f"unsupported BigQuery type {bq_type}"


def schema_errors(event: dict[str, Any], schema: list[dict[str, str]]) -> list[str]:
    """All reasons BigQuery would reject ``event`` under ``schema`` (empty when it loads)."""
    errors: list[str] = []
    known = {field["name"] for field in schema}
    errors += [f"{name}: not in the table schema" for name in event if name not in known]
    for field in schema:
        name, value = field["name"], event.get(field["name"])
        if value is None:
            if field["mode"] == "REQUIRED":
                errors.append(f"{name}: REQUIRED but missing or null")
            continue
        problem = _type_error(field["type"], value)
        if problem:
            errors.append(f"{name}: {problem} (got {value!r})")
    return errors


def assert_loads(payload: bytes, schema: list[dict[str, str]]) -> dict[str, Any]:
    """Parse ``payload`` and fail the test with every reason it would not load."""
    event = parse_event(payload)
    errors = schema_errors(event, schema)
    assert not errors, f"event would not load into BigQuery: {errors}: {payload!r}"
    return event
