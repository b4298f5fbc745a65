"""The fairness measures: their names, labels, per-group metrics and worst-group rules.

Kept apart from the computation (modeling/fairness.py, which needs pandas) so
the gate and the reports page can name the measures without importing either.
"""

from __future__ import annotations

from dataclasses import dataclass

from pipeline.modeling.tasks import MULTICLASS, REGRESSION, TaskInfo


@dataclass(frozen=True)
class Measure:
    name: str  # the key in groups.json and the name of its gate limit (max_<name>)
    label: str  # how the gate and the reports say it
    # Per-group metrics whose between-group difference it is, each with the way its worst
    # group lies: "low" or "high" (a group that fares worse), "far" (farthest from the
    # whole, where neither direction is better, like the share predicted positive).
    metrics: tuple[tuple[str, str], ...]
    needs_labels: bool = True


CLASSIFICATION_MEASURES = (
    Measure(
        "demographic_parity_difference",
        "demographic parity difference",
        (("selection_rate", "far"),),
        needs_labels=False,
    ),
    # Its worst group misses the most positives or raises the most false alarms.
    Measure(
        "equalized_odds_difference",
        "equalized odds difference",
        (("true_positive_rate", "low"), ("false_positive_rate", "high")),
    ),
    Measure("recall_gap", "recall gap", (("recall", "low"),)),
    Measure("precision_gap", "precision gap", (("precision", "low"),)),
)
# Multi-class: how often each group gets its true class, overall and class by class (the
# mean of its classes' recalls, so a group's rare class counts as much as its common one).
MULTICLASS_MEASURES = (
    Measure("accuracy_gap", "accuracy gap", (("accuracy", "low"),)),
    Measure("macro_recall_gap", "macro recall gap", (("macro_recall", "low"),)),
)
REGRESSION_MEASURES = (
    Measure("mae_gap", "MAE gap", (("mae", "high"),)),
    Measure("mean_residual_gap", "mean residual gap", (("mean_residual", "far"),)),
)


def measures(task: TaskInfo) -> tuple[Measure, ...]:
    if task is MULTICLASS:
        return MULTICLASS_MEASURES
    return REGRESSION_MEASURES if task is REGRESSION else CLASSIFICATION_MEASURES
