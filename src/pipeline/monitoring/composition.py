"""Who is in the data: per group, its share of rows and its target rate (multiclass: each
class's share), reference vs newest.

A model can only be as fair as the rows it learned from: a group that shrinks, or whose
target rate moves, in the newest batch shows here before any model metric moves.

Counted a batch of rows at a time (`GroupCounts`), so a table larger than memory gives the
numbers the whole table gives: rows, labelled rows and the sum of the labels per group (each
class's rows for a multi-class target). A regression target's mean is that sum over the
labelled rows: equal to the whole table's mean up to the last bits of a float sum, which
the rounding to six decimals hides.
"""

from __future__ import annotations

import pandas as pd

from pipeline.data.groups import group_labels
from pipeline.data.tables import Table, as_table


class GroupCounts:
    """Per group column: each group's rows, labelled rows and label sum (with `classes`:
    each class's rows), added up batch by batch."""

    def __init__(self, columns: list[str], target: str, classes: dict | None = None):
        self.columns, self.target, self.classes = list(columns), target, classes
        self.rows = 0
        self.counts: dict[str, pd.DataFrame] = {}

    def add(self, batch: pd.DataFrame) -> None:
        self.rows += len(batch)
        labels = pd.to_numeric(batch[self.target], errors="coerce")
        if self.classes is None:
            labels = labels.astype(float)
            counted = pd.DataFrame(
                {"size": 1, "labelled": labels.notna().astype(int), "sum": labels.fillna(0.0)}
            )
        else:
            each = {f"class {i}": labels == code for i, code in enumerate(self.classes)}
            counted = pd.DataFrame({"size": 1} | each).astype(int)
        for column in self.columns:
            part = counted.groupby(group_labels(batch[column]).to_numpy()).sum()
            if column in self.counts:
                part = pd.concat([self.counts[column], part]).groupby(level=0).sum()
            self.counts[column] = part

    def table(self, column: str) -> pd.DataFrame:
        """Per group: `size`, `share` of the rows and `mean` (the target rate, or each class's
        share by label)."""
        counted = self.counts.get(column)
        if counted is None:
            return pd.DataFrame({"size": [], "share": [], "mean": []})
        table = pd.DataFrame({"size": counted["size"]})
        table["share"] = table["size"] / max(self.rows, 1)
        if self.classes is None:
            labelled = counted["labelled"].where(counted["labelled"] > 0)
            table["mean"] = counted["sum"] / labelled
        else:
            table["mean"] = pd.Series(
                {
                    name: {
                        str(label): _round(counted.at[name, f"class {i}"] / size)
                        for i, label in enumerate(self.classes.values())
                    }
                    for name, size in counted["size"].items()
                },
                dtype=object,
            )
        return table


def group_counts(
    rows: pd.DataFrame | Table, columns: list[str], target: str, classes: dict | None = None
) -> GroupCounts:
    """A table's (or a frame's) counts per group of each column, read batch by batch."""
    counts = GroupCounts(columns, target, classes)
    for batch in as_table(rows).batches(list(dict.fromkeys([*columns, target]))):
        counts.add(batch)
    return counts


def composition(
    reference: pd.DataFrame | Table,
    current: pd.DataFrame | Table,
    *,
    columns: list[str],
    target: str,
    classes: dict | None = None,
) -> dict[str, list[dict]]:
    """{column: rows, largest reference group first}. The target rate is the share of 1s
    (classification) or the mean (regression); with `classes` (multiclass: each value the
    target holds and its label), each class's share by label. Null where a side has no
    such row."""
    counted = [group_counts(side, columns, target, classes) for side in (reference, current)]
    found = {}
    for column in columns:
        before, after = (counts.table(column) for counts in counted)
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
