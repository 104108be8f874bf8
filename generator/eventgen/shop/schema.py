"""Schemas derived from :class:`eventgen.shop.model.Event`: BigQuery table schema and JSON Schema.

Both come from the pydantic model's fields, so the table, the validator and the generator
cannot drift apart.
"""

from __future__ import annotations

import types
from datetime import datetime
from decimal import Decimal
from enum import StrEnum
from typing import Any, Union, get_args, get_origin

from eventgen.shop.model import SCHEMA_VERSION, Event

JSON_SCHEMA_DIALECT = "https://json-schema.org/draft/2020-12/schema"


def _bigquery_type(annotation: Any) -> tuple[str, bool]:
    """Map a field annotation to (BigQuery type, nullable)."""
    nullable = False
    if get_origin(annotation) in (Union, types.UnionType):
        members = [arg for arg in get_args(annotation) if arg is not type(None)]
        nullable = len(members) < len(get_args(annotation))
        if len(members) != 1:
            raise TypeError(f"unsupported union annotation {annotation!r}")
        annotation = members[0]
    # Annotated[...] metadata is already stripped by pydantic's FieldInfo.annotation,
    # except inside Optional; unwrap it here.
    while hasattr(annotation, "__metadata__"):
        annotation = get_args(annotation)[0]
    if isinstance(annotation, type):
        if issubclass(annotation, bool):
            return "BOOLEAN", nullable
        if issubclass(annotation, StrEnum | str):
            return "STRING", nullable
        if issubclass(annotation, int):
            return "INTEGER", nullable
        if issubclass(annotation, Decimal):
            return "NUMERIC", nullable
        if issubclass(annotation, datetime):
            return "TIMESTAMP", nullable
    raise TypeError(f"no BigQuery type for annotation {annotation!r}")


def bigquery_schema() -> list[dict[str, str]]:
    """Return the BigQuery table schema of event version 1.

    A list of ``{"name", "type", "mode", "description"}`` in field order, as
    ``bq mk --table`` and the ``schema`` of a BigQuery table resource take it.
    """
    fields: list[dict[str, str]] = []
    for name, info in Event.model_fields.items():
        bq_type, nullable = _bigquery_type(info.annotation)
        fields.append(
            {
                "name": name,
                "type": bq_type,
                "mode": "NULLABLE" if nullable else "REQUIRED",
                "description": info.description or "",
            }
        )
    return fields


def json_schema() -> dict[str, Any]:
    """Return the JSON Schema (draft 2020-12) that every well-formed event satisfies."""
    schema = Event.model_json_schema(mode="validation")
    schema["properties"]["schema_version"]["const"] = SCHEMA_VERSION
    return {
        "$schema": JSON_SCHEMA_DIALECT,
        "$id": f"https://ecommerce.dataplatform.io/schemas/event/v{SCHEMA_VERSION}.json",
        **schema,
    }
