"""Fairness across groups: per-group metrics and the disparities between groups.

For each column of `analysis.groups`, every metric is measured on each group's rows and on
all judged rows together (the whole); a group with fewer than `min_rows` rows is reported as
too small and left out of every disparity. A disparity is the largest difference between two
judged groups, and names its worst group: the one that fares worst (lowest recall or
precision, highest false positive rate or MAE, lowest accuracy), or, where neither direction
is better (the share predicted positive, the mean residual), the one farthest from the
whole. A multi-class model's decision is its most likely class.
"""

from __future__ import annotations

import math

import numpy as np
import pandas as pd

from pipeline.data.groups import group_labels
from pipeline.modeling.fairness_measures import Measure, measures
from pipeline.modeling.tasks import MULTICLASS, REGRESSION, TaskInfo

LABEL_FREE = {"selection_rate"}  # per-group metrics a batch without labels still has


def _rate(hits: np.ndarray, cases: np.ndarray) -> float:
    """The share of `cases` that are `hits`; NaN when there is no case (undefined, not 0)."""
    total = int(cases.sum())
    return float((hits & cases).sum() / total) if total else math.nan


def _classification_metrics() -> dict:
    def selection_rate(y_true, y_pred):
        return float(np.mean(y_pred)) if len(y_pred) else math.nan

    def true_positive_rate(y_true, y_pred):
        return _rate(y_pred == 1, y_true == 1)

    def false_positive_rate(y_true, y_pred):
        return _rate(y_pred == 1, y_true == 0)

    def precision(y_true, y_pred):
        return _rate(y_true == 1, y_pred == 1)

    return {
        "selection_rate": selection_rate,
        "true_positive_rate": true_positive_rate,
        "false_positive_rate": false_positive_rate,
        "recall": true_positive_rate,
        "precision": precision,
    }


def _multiclass_metrics() -> dict:
    def accuracy(y_true, y_pred):
        return float(np.mean(y_pred == y_true)) if len(y_pred) else math.nan

    def macro_recall(y_true, y_pred):
        """The mean of each class's recall, over the classes the group's rows hold."""
        recalls = [_rate(y_pred == code, y_true == code) for code in np.unique(y_true)]
        return float(np.mean(recalls)) if recalls else math.nan

    return {"accuracy": accuracy, "macro_recall": macro_recall}


def _regression_metrics() -> dict:
    def mae(y_true, y_pred):
        return float(np.mean(np.abs(y_pred - y_true)))

    def mean_residual(y_true, y_pred):
        return float(np.mean(y_pred - y_true))

    return {"mae": mae, "mean_residual": mean_residual}


def column_fairness(
    groups: pd.Series,
    labels: np.ndarray,
    scores: np.ndarray,
    *,
    task: TaskInfo,
    threshold: float,
    min_rows: int,
) -> dict:
    """Per-group metrics of one column's groups and the disparities between those judged.

    `labels` may be all missing (a batch not yet labelled): then only the measures that need
    no labels are measured.
    """
    groups = group_labels(groups.reset_index(drop=True))
    labels = np.asarray(labels, dtype=float)
    labelled = bool(np.isfinite(labels).any())
    if task is REGRESSION:
        y_pred, metrics = np.asarray(scores, dtype=float), _regression_metrics()
    elif task is MULTICLASS:
        y_pred, metrics = np.asarray(scores).argmax(axis=1), _multiclass_metrics()
    else:
        y_pred, metrics = (np.asarray(scores) >= threshold).astype(int), _classification_metrics()
    sizes = groups.value_counts()
    judged = sorted(str(group) for group, rows in sizes.items() if rows >= min_rows)
    too_small = sorted(str(group) for group, rows in sizes.items() if rows < min_rows)
    table = {
        str(group): {"group": str(group), "rows": int(rows), "judged": rows >= min_rows}
        for group, rows in sorted(sizes.items())
    }
    found = {
        "groups": list(table.values()),
        "judged": judged,
        "too_small": too_small,
        "measures": {},
    }
    keep = groups.isin(judged).to_numpy()
    if labelled:
        keep = keep & np.isfinite(labels)
    else:  # only what needs no label
        metrics = {name: metric for name, metric in metrics.items() if name in LABEL_FREE}
    by_group = None
    if keep.any() and metrics:
        by_group, overall = _measured(metrics, labels[keep], y_pred[keep], groups[keep])
        for group, row in by_group.iterrows():
            table[str(group)].update({name: _plain(value) for name, value in row.items()})
        overall = {name: _plain(value) for name, value in overall.items()}
        found["overall"] = overall
    for measure in measures(task):
        if measure.needs_labels and not labelled:
            found["measures"][measure.name] = {"value": None, "reason": "no labels yet"}
        elif by_group is None or len(judged) < 2:
            reason = f"fewer than two groups of at least {min_rows} rows"
            found["measures"][measure.name] = {"value": None, "reason": reason}
        else:
            found["measures"][measure.name] = _disparity(measure, by_group, overall)
    return found


def _measured(
    metrics: dict, labels: np.ndarray, y_pred: np.ndarray, groups: pd.Series
) -> tuple[pd.DataFrame, dict]:
    """Each metric on each group's rows (a row per group, in sorted order) and on all rows."""
    codes, names = pd.factorize(groups.to_numpy(), sort=True)
    by_group = pd.DataFrame(
        [
            {
                name: metric(labels[codes == code], y_pred[codes == code])
                for name, metric in metrics.items()
            }
            for code in range(len(names))
        ],
        index=pd.Index(names, dtype=object),
        columns=list(metrics),
        dtype=float,
    )
    return by_group, {name: metric(labels, y_pred) for name, metric in metrics.items()}


def _disparity(measure: Measure, by_group: pd.DataFrame, overall: dict) -> dict:
    """The largest between-group difference of the measure's metrics, and its worst group."""
    widest = None
    for metric, direction in measure.metrics:
        values = by_group[metric].dropna()
        if len(values) < 2:
            continue
        gap = float(values.max() - values.min())
        if widest is None or gap > widest[0]:
            widest = (gap, metric, direction, values)
    if widest is None:
        return {"value": None, "reason": "defined for fewer than two groups"}
    gap, metric, direction, values = widest
    if direction == "low":
        worst = values.idxmin()
    elif direction == "high":
        worst = values.idxmax()
    else:
        worst = (values - overall[metric]).abs().idxmax()
    return {
        "value": round(gap, 6),
        "metric": metric,
        "worst_group": str(worst),
        "worst_value": round(float(values[worst]), 6),
        "overall": _plain(overall[metric]),
        "lowest": round(float(values.min()), 6),
        "highest": round(float(values.max()), 6),
    }


def _plain(value) -> float | None:
    value = float(value)
    return None if math.isnan(value) else round(value, 6)


def fairness(
    frame: pd.DataFrame,
    labels: np.ndarray,
    scores: np.ndarray,
    *,
    columns: list[str],
    task: TaskInfo,
    threshold: float,
    min_rows: int,
) -> dict:
    """{column: column_fairness(...)} for every group column."""
    return {
        column: column_fairness(
            frame[column],
            labels,
            scores,
            task=task,
            threshold=threshold,
            min_rows=min_rows,
        )
        for column in columns
    }
