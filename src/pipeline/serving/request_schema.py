"""The prediction API's request model, generated from the features contract and the model.

Types, nullability and ranges come from `schemas.FEATURES` (the contract the pipeline
enforces); allowed categories come from the fitted model (the values it was trained on). So
the API and the pipeline cannot drift apart: change the contract and the API follows.
"""

from __future__ import annotations

from enum import Enum
from typing import Any

import pandera.pandas as pa
from pydantic import BaseModel, ConfigDict, Field, create_model

from pipeline.examples.flights.schemas import FEATURES


def _bounds(column: pa.Column) -> dict[str, Any]:
    """Pandera range checks as pydantic field constraints."""
    bounds: dict[str, Any] = {}
    for check in column.checks:
        stats = check.statistics or {}
        if check.name == "in_range":
            bounds["ge" if stats.get("include_min", True) else "gt"] = stats["min_value"]
            bounds["le" if stats.get("include_max", True) else "lt"] = stats["max_value"]
        elif check.name in ("greater_than", "gt"):
            bounds["gt"] = stats["min_value"]
        elif check.name in ("greater_than_or_equal_to", "ge"):
            bounds["ge"] = stats["min_value"]
    return bounds


def _field_type(name: str, column: pa.Column, categories: dict[str, list[str]]) -> Any:
    if name in categories:
        return Enum(f"{name}_value", {value: value for value in categories[name]}, type=str)
    if str(column.dtype).startswith("int"):
        return int
    return float


def row_model(columns: list[str], categories: dict[str, list[str]]) -> type[BaseModel]:
    """One flight to score: exactly the model's feature columns, checked like the contract."""
    fields: dict[str, Any] = {}
    for name in columns:
        column = FEATURES.columns[name]
        kind = _field_type(name, column, categories)
        if column.nullable:
            kind = kind | None
        fields[name] = (kind, Field(..., **_bounds(column)))
    return create_model(
        "Flight", __config__=ConfigDict(extra="forbid", use_enum_values=True), **fields
    )
