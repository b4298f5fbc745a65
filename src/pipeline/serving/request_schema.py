"""The prediction API's request model, generated from the features contract and the model.

Types, nullability and every rule a JSON schema can state (ranges, allowed sets, patterns)
come from the features contract the pipeline enforces; allowed categories come from the fitted
model (the values it was trained on); numbers must be finite. So the API and the pipeline
cannot drift apart: change the contract and the API follows. Rules a JSON schema cannot state
(a custom check such as "a HHMM clock time") are the pipeline's alone.
"""

from __future__ import annotations

from enum import Enum
from typing import Any, Literal

import pandera.pandas as pa
from pydantic import BaseModel, ConfigDict, Field, create_model


def _constraints(column: pa.Column) -> dict[str, Any]:
    """pandera range and pattern checks as pydantic field constraints."""
    found: dict[str, Any] = {}
    for check in column.checks:
        stats = check.statistics or {}
        if check.name == "in_range":
            found["ge" if stats.get("include_min", True) else "gt"] = stats["min_value"]
            found["le" if stats.get("include_max", True) else "lt"] = stats["max_value"]
        elif check.name == "greater_than":
            found["gt"] = stats["min_value"]
        elif check.name == "greater_than_or_equal_to":
            found["ge"] = stats["min_value"]
        elif check.name == "less_than":
            found["lt"] = stats["max_value"]
        elif check.name == "less_than_or_equal_to":
            found["le"] = stats["max_value"]
        elif check.name == "str_matches":
            found["pattern"] = stats["pattern"]
    return found


def _allowed(column: pa.Column) -> list | None:
    """The values an `isin` or `eq` check allows, if the contract states such a set."""
    for check in column.checks:
        stats = check.statistics or {}
        if check.name == "isin":
            return list(stats["allowed_values"])
        if check.name == "equal_to":
            return [stats["value"]]
    return None


def _field_type(name: str, column: pa.Column, categories: dict[str, list[str]]) -> Any:
    if name in categories:
        return Enum(f"{name}_value", {value: value for value in categories[name]}, type=str)
    allowed = _allowed(column)
    if allowed is not None:
        return Literal[tuple(allowed)]
    kind = str(column.dtype)
    if kind.startswith("int"):
        return int
    if kind == "bool":
        return bool
    if kind in ("str", "string", "object"):
        return str
    return float


def row_model(
    columns: list[str],
    categories: dict[str, list[str]],
    contract: pa.DataFrameSchema,
    name: str = "Row",
) -> type[BaseModel]:
    """One row to score: exactly the model's raw input columns, checked like the contract."""
    unknown = [column for column in columns if column not in contract.columns]
    if unknown:
        raise ValueError(f"the model reads column(s) {unknown} the features contract lacks")
    fields: dict[str, Any] = {}
    for column_name in columns:
        column = contract.columns[column_name]
        kind = _field_type(column_name, column, categories)
        constraints = {} if kind is not float and kind is not int else _constraints(column)
        if kind is str:
            constraints = {k: v for k, v in _constraints(column).items() if k == "pattern"}
        if kind is float:
            constraints["allow_inf_nan"] = False
        if column.nullable:
            kind = kind | None
        fields[column_name] = (kind, Field(..., **constraints))
    return create_model(name, __config__=ConfigDict(extra="forbid", use_enum_values=True), **fields)
