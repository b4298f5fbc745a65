"""What differs between the tasks: what the model outputs, what judges it, which way is better.

Every module that shows, ranks or gates on a metric asks here instead of naming ROC AUC or
RMSE, so a regression dataset runs through the same stages, reports and API.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np


@dataclass(frozen=True)
class TaskInfo:
    name: str
    primary: str  # the headline metric: experiments are chosen and slices ranked by it
    higher_is_better: bool  # of `primary`
    key_metrics: tuple[str, ...]  # the run summary, the reports page, exp-show
    card_metrics: tuple[str, ...]  # the model card's metric table
    base_rate: str  # the label's share of 1s, or its mean: what a batch's label looks like
    score: str  # the model's output column in predictions and the request log
    search_scoring: str  # scikit-learn scorer of a search inside train
    importance_scoring: str  # scikit-learn scorer of permutation importance
    importance_label: str  # what one unit of importance means


CLASSIFICATION = TaskInfo(
    name="classification",
    primary="roc_auc",
    higher_is_better=True,
    key_metrics=("roc_auc", "pr_auc", "f1", "brier"),
    card_metrics=("roc_auc", "pr_auc", "f1", "precision", "recall", "log_loss", "brier", "rows"),
    base_rate="positive_share",
    score="probability",
    search_scoring="roc_auc",
    importance_scoring="roc_auc",
    importance_label="drop in ROC AUC",
)
REGRESSION = TaskInfo(
    name="regression",
    primary="rmse",
    higher_is_better=False,
    key_metrics=("rmse", "mae", "r2", "bias"),
    card_metrics=("rmse", "mae", "r2", "mape", "bias", "target_mean", "rows"),
    base_rate="target_mean",
    score="prediction",
    search_scoring="neg_root_mean_squared_error",
    importance_scoring="neg_root_mean_squared_error",
    importance_label="rise in RMSE",
)
TASKS = {info.name: info for info in (CLASSIFICATION, REGRESSION)}
# Metrics where a smaller value is better, whatever the task (exp-show and select-best).
LOWER_IS_BETTER = {"brier", "log_loss", "rmse", "mae", "mape"}


def task_info(task: str) -> TaskInfo:
    return TASKS[str(task)]


def model_task(pipeline) -> TaskInfo:
    """The task a fitted model was built for: serving follows the model, not the config."""
    from sklearn.base import is_regressor

    return REGRESSION if is_regressor(pipeline) else CLASSIFICATION


def class_labels(pipeline) -> list:
    """The classes of a classifier as they appear in the data, in the order of its outputs
    (dataset.classes, which train keeps in the model); a 0/1 target's are 0 and 1."""
    return list(getattr(pipeline, "class_labels_", None) or [0, 1])


def predict(pipeline, frame) -> np.ndarray:
    """The model's output per row: the probability of 1, or the predicted value."""
    if len(frame) == 0:  # no rows to score (a snapshot has no newest batch yet)
        return np.empty(0, dtype=float)
    if model_task(pipeline) is REGRESSION:
        return np.asarray(pipeline.predict(frame), dtype=float)
    # float64 whatever the model computes in (XGBoost: float32), so the scores serialize
    return np.asarray(pipeline.predict_proba(frame)[:, 1], dtype=float)


def measure(task: TaskInfo, labels: np.ndarray, scores: np.ndarray, threshold: float) -> dict:
    """The task's metrics of `scores` against `labels` (threshold: classification only).

    No rows, nothing measured: only the count, so every reader says "not measured".
    """
    if len(labels) == 0:
        return {"rows": 0}
    from pipeline.modeling.metrics import classification_metrics, regression_metrics

    if task is REGRESSION:
        return regression_metrics(labels, scores)
    return classification_metrics(labels, scores, threshold)
