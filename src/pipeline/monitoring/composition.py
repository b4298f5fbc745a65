"""Who is in the data: per group, its share of rows and its target rate (multiclass: each
class's share), reference vs newest.

A model can only be as fair as the rows it learned from: a group that shrinks, or whose
target rate moves, in the newest batch shows here before any model metric moves.
"""

from __future__ import annotations

import pandas as pd

from pipeline.data.groups import group_labels


def _by_group(frame: pd.DataFrame, column: str, target: str) -> pd.DataFrame:
    groups = group_labels(frame[column])
    labels = pd.to_numeric(frame[target], errors="coerce").astype(float)
    table = labels.groupby(groups.to_numpy()).agg(["size", "mean"])
    table["share"] = table["size"] / max(len(frame), 1)
    return table


def _class_shares(frame: pd.DataFrame, column: str, target: str, classes: dict) -> pd.DataFrame:
    """Per group, its size, share and (as `mean`) each class's share of its rows by label;
    `classes` maps each value the target holds to its label."""
    groups = group_labels(frame[column]).to_numpy()
    codes = pd.to_numeric(frame[target], errors="coerce")
    table = codes.groupby(groups).agg(["size"])
    table["share"] = table["size"] / max(len(frame), 1)
    table["mean"] = pd.Series(
        {
            name: {str(label): _round((rows == code).mean()) for code, label in classes.items()}
            for name, rows in codes.groupby(groups)
        },
        dtype=object,
    )
    return table


def composition(
    reference: pd.DataFrame,
    current: pd.DataFrame,
    *,
    columns: list[str],
    target: str,
    classes: dict | None = None,
) -> dict[str, list[dict]]:
    """{column: rows, largest reference group first}. The target rate is the share of 1s
    (classification) or the mean (regression); with `classes` (multiclass: each value the
    target holds and its label), each class's share by label. Null where a side has no
    such row."""
    found = {}
    for column in columns:
        before, after = (
            _by_group(frame, column, target)
            if classes is None
            else _class_shares(frame, column, target, classes)
            for frame in (reference, current)
        )
        names = sorted(
            set(before.index) | set(after.index),
            key=lambda name: (-before["size"].get(name, 0), -after["size"].get(name, 0), name),
        )
        found[column] = [
            {
                "group": str(name),
                "reference_rows": int(before["size"].get(name, 0)),
                "current_rows": int(after["size"].get(name, 0)),
                "reference_share": _round(before["share"].get(name, 0.0)),
                "current_share": _round(after["share"].get(name, 0.0)),
                "reference_target": _round(before["mean"].get(name)),
                "current_target": _round(after["mean"].get(name)),
            }
            for name in names
        ]
    return found


def _round(value) -> float | dict | None:
    if isinstance(value, dict):  # each class's share
        return value
    return None if value is None or pd.isna(value) else round(float(value), 6)
