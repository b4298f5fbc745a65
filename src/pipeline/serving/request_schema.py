"""The prediction API's request model, generated from the contracts and the model.

A row holds the model's raw input columns, required: types, nullability and every rule a JSON
schema can state (ranges, allowed sets, patterns) come from the features contract the
pipeline enforces; allowed categories come from the fitted model (the values it was trained
on); numbers must be finite; a column the model reads as a date takes ISO 8601 text that is a
real date. It may also hold the raw row's other columns (the batch, ids, the target, columns
the model leaves out), optional and checked by the raw contract: a client sends the row it
has, and the request log keeps them, but the model never reads them. Any other column is
refused. So the API and the pipeline cannot drift apart: change the contract and the API
follows. Rules a JSON schema cannot state (a custom check such as "a HHMM clock time") are
the pipeline's alone.
"""

from __future__ import annotations

import re
from collections.abc import Collection, Mapping
from datetime import datetime
from enum import Enum
from typing import Annotated, Any, Literal

import pandera.pandas as pa
from pydantic import BaseModel, BeforeValidator, ConfigDict, Field, create_model

ISO_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}")
DATE_EXAMPLE = "2016-01-05 or 2016-01-05T13:30:00"


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


def _iso_date(value: Any) -> Any:
    """Text as sent, once it reads as an ISO 8601 date, or date and time. Checked before the
    contract's pattern, so the refusal says what a date looks like; a number is left to the
    type check (it is no text)."""
    if not isinstance(value, str):
        return value
    try:
        if not ISO_DATE.match(value):
            raise ValueError(value)
        datetime.fromisoformat(value)
    except ValueError:
        raise ValueError(f"not an ISO 8601 date ({DATE_EXAMPLE})") from None
    return value


def _date_type(column: pa.Column) -> Any:
    """ISO text, kept as text (what the model was trained on), with the contract's pattern;
    a time in that pattern makes it a date-time in the schema."""
    pattern = _constraints(column).get("pattern")
    timed = pattern is not None and re.search(r"T|:", pattern) is not None
    described = {"format": "date-time" if timed else "date", "examples": [DATE_EXAMPLE[:10]]}
    rules = [Field(pattern=pattern)] if pattern else []
    return Annotated[(str, *rules, BeforeValidator(_iso_date), Field(json_schema_extra=described))]


def _is_text(column: pa.Column) -> bool:
    # A text column's dtype reads "str", "string", "string[pyarrow]" or "object" (pandas'
    # string storage decides which): a text column must never be taken for a number.
    kind = str(column.dtype)
    return kind.startswith("str") or kind == "object"


def _field_type(name: str, column: pa.Column, categories: list[str] | None) -> Any:
    """The field's type with the column's rules (its categories, if the model has any)."""
    if categories is not None:
        return Enum(f"{name}_value", {value: value for value in categories}, type=str)
    allowed = _allowed(column)
    if allowed is not None:
        return Literal[tuple(allowed)]
    kind = str(column.dtype)
    constraints = _constraints(column)
    if kind == "bool":
        return bool
    if _is_text(column):
        pattern = {k: v for k, v in constraints.items() if k == "pattern"}
        return Annotated[str, Field(**pattern)] if pattern else str
    if kind.startswith("int"):
        return Annotated[int, Field(**constraints)] if constraints else int
    return Annotated[float, Field(**constraints, allow_inf_nan=False)]


def _input_field(
    name: str, column: pa.Column, categories: list[str] | None, is_date: bool
) -> tuple[Any, dict[str, Any]]:
    """Required; null only where the contract allows it."""
    kind = _date_type(column) if is_date else _field_type(name, column, categories)
    return (kind | None if column.nullable else kind), {}


OTHER = {"default": None, "description": "Not read by the model: logged with the answer."}


def _other_field(name: str, column: pa.Column | None) -> tuple[Any, dict[str, Any]]:
    """Optional: absent or null. A column no contract describes takes text or a whole number."""
    kind = (str | int) if column is None else _field_type(name, column, None)
    return kind | None, OTHER


def row_model(
    columns: list[str],
    categories: dict[str, list[str]],
    contract: pa.DataFrameSchema,
    name: str = "Row",
    *,
    dates: Collection[str] = (),
    others: Mapping[str, pa.Column | None] | None = None,
) -> type[BaseModel]:
    """One row to score: the model's raw input `columns` (required, checked like the features
    `contract`; `dates` are read as dates), and the raw row's `others` (optional, checked like
    their raw contract, None: no rule). Any other column is refused.

    Fields are named by position and take the column's name as their alias, so a column may
    have any name (`_id`, `Unit Price`); dump with `by_alias=True`.
    """
    unknown = [column for column in columns if column not in contract.columns]
    if unknown:
        raise ValueError(f"the model reads column(s) {unknown} the features contract lacks")
    specs = {
        column: _input_field(
            column, contract.columns[column], categories.get(column), column in dates
        )
        for column in columns
    }
    specs |= {
        column: _other_field(column, rule)
        for column, rule in (others or {}).items()
        if column not in specs
    }
    fields = {
        f"column_{number}": (kind, Field(alias=column, **options))
        for number, (column, (kind, options)) in enumerate(specs.items())
    }
    return create_model(name, __config__=ConfigDict(extra="forbid", use_enum_values=True), **fields)
