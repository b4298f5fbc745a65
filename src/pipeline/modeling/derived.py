"""Row-local derived columns, computed inside the saved model so serving takes raw columns.

A dataset lists them in `dataset.derived` as `name: {op, columns}`; the operations are a fixed
vocabulary, so a model file never names code outside this module (skops trusts this class).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping

import pandas as pd
from sklearn.base import BaseEstimator, TransformerMixin

from pipeline.modeling.inputs import input_columns  # noqa: F401 (what callers pair with it)


def hhmm_hours(frame: pd.DataFrame, columns: list[str]) -> pd.Series:
    """HHMM clock times as fractional hours: 1330 -> 13.5."""
    hhmm = frame[columns[0]]
    return (hhmm // 100 + (hhmm % 100) / 60).astype(float)


def day_of_week(frame: pd.DataFrame, columns: list[str]) -> pd.Series:
    """Monday 0 .. Sunday 6, from year, month and day columns (in that order).

    A day that does not exist (February 30) is missing, not an error: the estimators treat
    missing values, and one impossible row must not fail a whole request.
    """
    year, month, day = columns
    parts = pd.DataFrame({"year": frame[year], "month": frame[month], "day": frame[day]})
    return pd.to_datetime(parts, errors="coerce").dt.dayofweek.astype(float)


def month_of_date(frame: pd.DataFrame, columns: list[str]) -> pd.Series:
    """1..12 from a date or timestamp column (ISO text or datetime); missing if unreadable.

    Text is read by its date part, YYYY-MM-DD as written, whatever time or zone follows: a
    row's month must not depend on the rows it is read with (pandas guesses one format from
    the first value, and a request mixing "2016-01-05" and "2016-02-05T10:30" lost a month).
    """
    return _dates(frame[columns[0]]).dt.month.astype(float)


def weekday_of_date(frame: pd.DataFrame, columns: list[str]) -> pd.Series:
    """Monday 0 .. Sunday 6 from a date or timestamp column, read as `month_of_date` reads it."""
    return _dates(frame[columns[0]]).dt.dayofweek.astype(float)


def _dates(values: pd.Series) -> pd.Series:
    if pd.api.types.is_datetime64_any_dtype(values):
        return values
    days = values.astype("string").str[:10]
    return pd.to_datetime(days, format="%Y-%m-%d", errors="coerce")


OPERATIONS: dict[str, Callable[[pd.DataFrame, list[str]], pd.Series]] = {
    "hhmm_hours": hhmm_hours,
    "day_of_week": day_of_week,
    "month_of_date": month_of_date,
    "weekday_of_date": weekday_of_date,
}


# The operations that read their column as a date: the API takes such a column as ISO text.
DATE_OPERATIONS = frozenset({"month_of_date", "weekday_of_date"})


def date_columns(derived: Mapping) -> list[str]:
    """The raw columns `derived` reads as dates."""
    columns: list[str] = []
    for spec in derived.values():
        if spec["op"] in DATE_OPERATIONS:
            columns += [str(c) for c in spec["columns"] if c not in columns]
    return columns


def check_derived(derived: Mapping) -> None:
    from pipeline.errors import ConfigError

    for name, spec in derived.items():
        if spec["op"] not in OPERATIONS:
            raise ConfigError(
                f"dataset.derived.{name}.op={spec['op']!r}; expected one of {sorted(OPERATIONS)}"
            )


class DerivedColumns(TransformerMixin, BaseEstimator):
    """Adds `derived` columns to a frame; the model's first step."""

    def __init__(self, derived: dict | None = None):
        self.derived = derived

    def fit(self, frame: pd.DataFrame, y=None) -> DerivedColumns:
        self.feature_names_in_ = list(frame.columns)
        return self

    def transform(self, frame: pd.DataFrame) -> pd.DataFrame:
        added = {
            name: OPERATIONS[spec["op"]](frame, list(spec["columns"]))
            for name, spec in (self.derived or {}).items()
        }
        return frame.assign(**added)

    def get_feature_names_out(self, input_features=None):
        return [*self.feature_names_in_, *(self.derived or {})]


def plain(derived: Mapping) -> dict[str, dict]:
    """`dataset.derived` as plain dicts and lists (what a model file can hold)."""
    return {
        name: {"op": str(spec["op"]), "columns": [str(c) for c in spec["columns"]]}
        for name, spec in derived.items()
    }
