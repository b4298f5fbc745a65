"""Metrics per slice: the task's metrics on the rows of each value of a column."""

from __future__ import annotations

import numpy as np
import pandas as pd

from pipeline.data.groups import group_labels
from pipeline.modeling.tasks import CLASSIFICATION, measure


def slice_metrics(
    frame: pd.DataFrame,
    labels: np.ndarray,
    scores: np.ndarray,
    *,
    columns: list[str],
    threshold: float,
    min_rows: int,
    task=None,
    classes: list | None = None,
) -> pd.DataFrame:
    """One row per (column, value) with at least `min_rows` rows, worst first by the task's
    primary metric (lowest ROC AUC, highest RMSE); `classes` name multi-class metrics.
    Missing values are a slice of their own."""
    task = task or CLASSIFICATION
    rows = []
    for column in columns:
        values = group_labels(frame[column]).to_numpy()
        for value in sorted(set(values)):
            member = values == value
            if member.sum() < min_rows:
                continue
            metrics = measure(task, labels[member], scores[member], threshold, classes)
            rows.append({"slice": column, "value": value, **metrics})
    table = pd.DataFrame(rows)
    if table.empty:
        # A header still: the card and the page read the file whatever the slice sizes.
        metrics = [m for m in task.card_metrics if m != "rows"]
        return pd.DataFrame(columns=["slice", "value", "rows", task.base_rate, *metrics])
    return table.sort_values(
        ["slice", task.primary, "value"], ascending=[True, task.higher_is_better, True]
    ).reset_index(drop=True)
