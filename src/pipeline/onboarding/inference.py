"""What a table's columns are, guessed from the data: type, rules, and role in the model.

Pure (pandas only): `init` turns the guesses into a dataset config and its column rules, the
contract. Every rule is what the data shows, widened where later batches will differ.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from pipeline.errors import InputError

# Numeric ranges are widened by this share of the observed range on each side, so the next
# batch's slightly larger value passes; a column never below zero stays at or above zero.
RANGE_MARGIN = 0.1
# Text with at most this many distinct values is a category with a closed set of values.
MAX_CATEGORY_VALUES = 30
# Text with more distinct values than this share of the rows is free text or a name, not
# a category the model can learn from.
MAX_TEXT_DISTINCT_SHARE = 0.5
ISO_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}(?:[ T]\d{2}:\d{2}(?::\d{2}(?:\.\d+)?)?)?$")
ISO_DATE_PATTERN = r"^\d{4}-\d{2}-\d{2}"
# An integer column with at most this many values may be codes (a category), not amounts.
FEW_CODES = 10
ID_NAME = re.compile(r"(^|_)(id|key|uuid|code)$", re.IGNORECASE)


@dataclass
class ColumnGuess:
    name: str
    type: str  # int | float | str | bool
    role: str  # target | batch | id | categorical | numeric | date | dropped | ignored
    spec: dict[str, Any] = field(default_factory=dict)  # the contract: ColumnSpec's keys
    note: str = ""  # why the role, when it is not the obvious one

    def rule(self) -> str:
        """The contract in a few words, for the printed table."""
        parts = []
        if "min" in self.spec or "max" in self.spec:
            parts.append(f"{_short(self.spec.get('min'))}..{_short(self.spec.get('max'))}")
        if "values" in self.spec:
            shown = ", ".join(map(str, self.spec["values"][:4]))
            more = len(self.spec["values"]) - 4
            parts.append(f"one of {shown}" + (f" (+{more})" if more > 0 else ""))
        if self.spec.get("pattern"):
            parts.append(f"matches {self.spec['pattern']}")
        if self.spec.get("unique"):
            parts.append("unique")
        if self.type == "float":
            parts.append("finite" if not self.spec.get("allow_infinite") else "inf allowed")
        parts.append("nullable" if self.spec.get("nullable") else "no missing")
        return ", ".join(parts)


def _short(value) -> str:
    if value is None:
        return ""
    return f"{value:g}" if isinstance(value, float) else str(value)


def column_type(series: pd.Series) -> str:
    if pd.api.types.is_bool_dtype(series):
        return "bool"
    if pd.api.types.is_integer_dtype(series):
        return "int"
    if pd.api.types.is_float_dtype(series):
        return "float"
    if pd.api.types.is_numeric_dtype(series):
        return "float"
    return "str"


def widened_range(series: pd.Series, kind: str) -> dict[str, float | int]:
    """The observed min and max, each widened by RANGE_MARGIN of the range (see above)."""
    numbers = pd.to_numeric(series, errors="coerce").astype(float)
    finite = numbers[np.isfinite(numbers)]
    if finite.empty:
        return {}
    low, high = float(finite.min()), float(finite.max())
    margin = RANGE_MARGIN * (high - low) or RANGE_MARGIN * abs(high) or 1.0
    wide_low = low - margin if low < 0 else max(0.0, low - margin)
    wide_high = high + margin
    if kind == "int":
        return {"min": math.floor(wide_low), "max": math.ceil(wide_high)}
    return {"min": _round(wide_low, up=False), "max": _round(wide_high, up=True)}


def _round(value: float, up: bool) -> float:
    """Four significant digits, rounded outward so the bound still holds every value seen:
    a rule a person reads, not 17 digits of a sample's extreme."""
    if value == 0:
        return 0.0
    step = 10.0 ** (math.floor(math.log10(abs(value))) - 3)
    bound = (math.ceil if up else math.floor)(value / step) * step
    return float(round(bound, max(0, 3 - math.floor(math.log10(abs(value))))))


def guess_column(series: pd.Series, *, rows: int) -> ColumnGuess:
    """Type, contract and role of one column that is neither target nor batch."""
    kind = column_type(series)
    values = series.dropna()
    spec: dict[str, Any] = {"type": kind}
    if series.isna().any():
        spec["nullable"] = True
    distinct = values.nunique()
    unique = distinct == len(series) and not series.isna().any()
    guess = ColumnGuess(series.name, kind, "numeric", spec)
    if values.empty:
        guess.role, guess.note = "ignored", "no value in the file: nothing to learn from"
        return guess
    if kind in ("int", "float"):
        whole = bool(np.isfinite(values).all() and (values == values.round()).all())
        if distinct == 2:
            # An indicator (0/1, 1/2): its two values are the rule, not a range between them.
            pair = sorted(int(v) if whole else float(v) for v in values.unique())
            spec["values"] = pair
            guess.note = "two values: an indicator"
            return guess
        spec |= widened_range(values, kind)
        if kind == "float" and values.isin([math.inf, -math.inf]).any():
            spec["allow_infinite"] = True
            guess.note = "holds inf: allowed by its rule; is that a real value?"
        if kind == "int" and ID_NAME.search(str(series.name)):
            # New rows bring new ids, beyond any range seen so far; an id is never a feature.
            spec.pop("min", None)
            spec.pop("max", None)
            spec["unique"] = unique
            if not unique:
                spec.pop("unique")
            guess.role = "id"
            guess.note = "every value unique, named like an id" if unique else "named like an id"
        elif kind == "int" and 3 <= distinct <= FEW_CODES:
            guess.note = (
                f"{distinct} values: if they are codes, not amounts, move it to "
                "features.categorical"
            )
    elif kind == "bool":
        guess.role = "categorical"
    else:
        text = values.astype(str)
        if len(text) and text.map(lambda v: bool(ISO_DATE.match(v))).all():
            spec["pattern"] = ISO_DATE_PATTERN
            guess.role, guess.note = "date", "ISO dates: the model sees their month and weekday"
        elif unique and rows > MAX_CATEGORY_VALUES:
            spec["unique"] = True
            guess.role, guess.note = "id", "every value unique"
        elif distinct <= MAX_CATEGORY_VALUES:
            spec["values"] = sorted(text.unique().tolist())
            guess.role = "categorical"
        elif distinct > MAX_TEXT_DISTINCT_SHARE * len(text):
            guess.role = "ignored"
            guess.note = f"free text ({distinct:,} distinct values): not a feature"
        else:
            guess.role = "categorical"
            guess.note = f"{distinct:,} categories: an open set, no values rule"
    if distinct <= 1 and guess.role not in ("id",):
        guess.role, guess.note = "ignored", "one value only: nothing to learn from"
    return guess


# A target with more distinct text values than this is not a set of classes to learn.
MAX_CLASSES = 20
# Two-valued targets: a value meaning "yes" is the positive class; else the other of a value
# meaning "no"; else the rarer value (what a model is usually asked to find: churn, default).
AFFIRMATIVE = {"yes", "y", "true", "t", "1", "1.0", "positive", "pos"}
NEGATIVE = {"no", "n", "false", "f", "0", "0.0", "negative", "neg"}


@dataclass
class TargetGuess:
    """What the target is: the task, the classes in the model's order, and why."""

    task: str
    reason: str
    classes: list | None = None  # classification: [negative, positive]; multiclass: sorted
    positive_rule: str = ""  # how the positive class was chosen (binary)


def plain(value):
    """A label as the Python value YAML and JSON write: 1, not np.int64(1) nor 1.0 (a 0/1
    column with a missing label reads as floats)."""
    value = value.item() if hasattr(value, "item") else value
    if isinstance(value, float) and value.is_integer():
        return int(value)
    return value


def positive_class(labels: pd.Series, asked: str | None) -> tuple[object, str]:
    """The positive of two classes, and the rule that chose it."""
    values = [plain(v) for v in labels.unique()]
    labels = labels.map(plain)
    if asked is not None:
        chosen = [v for v in values if str(v) == str(asked)]
        if not chosen:
            raise InputError(
                f"--positive {asked}: not a value of the target (it holds "
                f"{', '.join(map(str, sorted(values, key=str)))})"
            )
        return chosen[0], "as asked (--positive)"
    if pd.api.types.is_bool_dtype(labels.dtype):
        return True, "True is positive"
    if pd.api.types.is_numeric_dtype(labels.dtype):
        return max(values), "the larger value is positive"
    words = {str(v).strip().lower(): v for v in values}
    for word, value in words.items():
        if word in AFFIRMATIVE:
            return value, f"{value!r} means yes"
    for word, value in words.items():
        if word in NEGATIVE:
            other = next(v for v in values if v != value)
            return other, f"{value!r} means no"
    counts = labels.value_counts()
    rarer = sorted(values, key=lambda v: (counts[v], str(v)))[0]
    return rarer, f"the rarer value ({counts[rarer]:,} of {int(counts.sum()):,} rows)"


def infer_task(target: pd.Series, asked: str | None, positive: str | None = None) -> TargetGuess:
    """The task, its classes and why: two values of any type are classification, three or
    more text values multiclass, other numbers regression."""
    labels = target.dropna()
    distinct = labels.nunique()
    is_bool = pd.api.types.is_bool_dtype(labels.dtype)
    numeric = pd.api.types.is_numeric_dtype(labels.dtype) and not is_bool
    name = target.name
    shown = ", ".join(sorted(map(str, labels.unique()))[:5]) + (" ..." if distinct > 5 else "")
    if asked == "regression" or (asked is None and numeric and distinct > 2):
        if not numeric:
            raise InputError(f"--task regression needs a numeric target; {name!r} is text")
        if positive is not None:
            raise InputError("--positive names a class: the task here is regression")
        how = (
            "as asked (--task)"
            if asked
            else f"inferred: the target is a number with {distinct:,} values"
        )
        return TargetGuess("regression", how)
    if asked == "classification" or (asked is None and distinct == 2):
        if distinct != 2:
            raise InputError(
                f"--task classification needs a target of two values; {name!r} holds "
                f"{distinct:,} ({shown}): --task multiclass for three or more classes"
            )
        chosen, rule = positive_class(labels, positive)
        negative = next(plain(v) for v in labels.unique() if plain(v) != chosen)
        how = "as asked (--task)" if asked else f"inferred: the target holds two values ({shown})"
        return TargetGuess("classification", how, [negative, chosen], rule)
    if positive is not None:
        raise InputError("--positive is for a target of two values")
    if distinct > MAX_CLASSES:
        raise InputError(
            f"target {name!r} holds {distinct:,} distinct values ({shown}): more than "
            f"{MAX_CLASSES} classes is not a classification this template learns; predict a "
            "number (--task regression on a numeric target), or group the classes first"
        )
    if distinct < 3:
        raise InputError(f"--task multiclass needs three classes or more; {name!r} holds {shown}")
    classes = sorted((plain(v) for v in labels.unique()), key=lambda v: (str(type(v)), v))
    how = "as asked (--task)" if asked else f"inferred: the target holds {distinct} classes"
    return TargetGuess("multiclass", how, classes)


def target_spec(target: pd.Series, guess: TargetGuess) -> dict[str, Any]:
    """The target's contract: its classes, or the widened range of its values."""
    missing = {"nullable": True} if target.isna().any() else {}  # unlabelled rows: dropped
    kind = column_type(target.dropna())
    if guess.classes is not None:
        if kind == "bool":
            return {"type": kind, **missing}
        return {"type": kind, "values": sorted(guess.classes, key=str), **missing}
    return {"type": kind, **missing, **widened_range(target.dropna(), kind)}
