"""What differs between the tasks: what the model outputs, what judges it, which way is better.

Every module that shows, ranks or gates on a metric asks here instead of naming ROC AUC or
RMSE, so a regression or multi-class dataset runs through the same stages, reports and API.
A multi-class model's output is a matrix: one probability per row and class, the classes in
the order dataset.classes numbers them (its columns in predictions: probability_0, ...).
"""

from __future__ import annotations

import re
from dataclasses import dataclass

import numpy as np

from pipeline.errors import ConfigError


@dataclass(frozen=True)
class TaskInfo:
    name: str
    primary: str  # the headline metric: experiments are chosen and slices ranked by it
    higher_is_better: bool  # of `primary`
    key_metrics: tuple[str, ...]  # the run summary, the reports page, exp-show
    card_metrics: tuple[str, ...]  # the model card's metric table
    base_rate: str  # the label's share of 1s, or its mean: what a batch's label looks like
    score: str  # the model's output column in predictions and the request log (multi-class:
    # the prefix of one column per class, probability_0, probability_1, ...)
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
# Three or more classes. Its ROC AUC is one-vs-rest, macro-averaged: it keeps the name so the
# gate's ROC AUC limits, the champion check and select-best read it as they read a binary one.
MULTICLASS = TaskInfo(
    name="multiclass",
    primary="roc_auc",
    higher_is_better=True,
    key_metrics=("roc_auc", "accuracy", "f1_macro", "log_loss"),
    card_metrics=("roc_auc", "accuracy", "f1_macro", "f1_weighted", "log_loss", "rows"),
    base_rate="majority_share",
    score="probability",
    search_scoring="roc_auc_ovr",
    importance_scoring="roc_auc_ovr",
    importance_label="drop in one-vs-rest ROC AUC",
)
TASKS = {info.name: info for info in (CLASSIFICATION, MULTICLASS, REGRESSION)}
# Metrics where a smaller value is better, whatever the task (exp-show and select-best).
LOWER_IS_BETTER = {"brier", "log_loss", "rmse", "mae", "mape"}
# A multi-class model's predictions table holds one probability column per class.
PROBABILITY_COLUMN = re.compile(r"^probability_(\d+)$")


def task_info(task: str) -> TaskInfo:
    return TASKS[str(task)]


def model_task(pipeline) -> TaskInfo:
    """The task a fitted model was built for: serving follows the model, not the config.

    A classifier of more than two classes is multi-class: the classes dataset.classes named
    (train keeps them in the model), else the ones it saw while fitting.
    """
    from sklearn.base import is_regressor

    if is_regressor(pipeline):
        return REGRESSION
    named = getattr(pipeline, "class_labels_", None) or getattr(pipeline, "classes_", [0, 1])
    return MULTICLASS if len(named) > 2 else CLASSIFICATION


def class_labels(pipeline) -> list:
    """The classes of a classifier as they appear in the data, in the order of its outputs
    (dataset.classes, which train keeps in the model); a 0/1 target's are 0 and 1."""
    named = getattr(pipeline, "class_labels_", None)
    if named:
        return list(named)
    fitted = getattr(pipeline, "classes_", [])
    seen = [value.item() if hasattr(value, "item") else value for value in fitted]
    return seen if len(seen) > 2 else [0, 1]


def probability_columns(count: int) -> list[str]:
    """A multi-class predictions table's probability columns, one per class code."""
    return [f"probability_{code}" for code in range(count)]


def scores_of(task: TaskInfo, table) -> np.ndarray:
    """The model's output as a predictions table holds it: a column, or (multi-class) the
    matrix of its probability columns in class order."""
    if task is not MULTICLASS:
        return table[task.score].to_numpy()
    found = sorted(
        (int(match.group(1)), column)
        for column in table.columns
        if (match := PROBABILITY_COLUMN.match(str(column)))
    )
    return table[[column for _, column in found]].to_numpy(dtype=float)


def per_class_metrics(metrics: dict) -> list[str]:
    """A multi-class split's per-class metric names, class by class (`precision_Adelie`,
    `recall_Adelie`, ...), as `measure` wrote them; none for the other tasks."""
    names = [name for name in metrics if name.startswith(("precision_", "recall_"))]
    classes = list(dict.fromkeys(name.split("_", 1)[1] for name in names))
    return [f"{kind}_{label}" for label in classes for kind in ("precision", "recall")]


def check_model_task(pipeline, task: TaskInfo, model_path: str) -> None:
    """Refuse a model of another task than dataset.task (the dataset changed since it was
    trained)."""
    found = model_task(pipeline)
    if found is not task:
        raise ConfigError(
            f"{model_path} is a {found.name} model but dataset.task is {task.name}: "
            "run train again (dvc repro)"
        )


def predict(pipeline, frame) -> np.ndarray:
    """The model's output per row: the probability of 1, the predicted value, or (multi-class)
    one probability per class, an (n, K) matrix in the order of `class_labels`."""
    task = model_task(pipeline)
    if task is MULTICLASS:
        count = len(class_labels(pipeline))
        if len(frame) == 0:
            return np.empty((0, count), dtype=float)
        found = np.asarray(pipeline.predict_proba(frame), dtype=float)
        full = found
        if getattr(pipeline, "class_labels_", None):
            # Featurize's codes: a class the training rows lacked has no column of its own,
            # and its probability is 0.
            full = np.zeros((len(frame), count), dtype=float)
            full[:, np.asarray(pipeline.classes_, dtype=int)] = found
        # Summing to 1 in float64 (XGBoost computes in float32 and misses by ~1e-7).
        return full / full.sum(axis=1, keepdims=True)
    if len(frame) == 0:  # no rows to score (a snapshot has no newest batch yet)
        return np.empty(0, dtype=float)
    if task is REGRESSION:
        return np.asarray(pipeline.predict(frame), dtype=float)
    # float64 whatever the model computes in (XGBoost: float32), so the scores serialize
    return np.asarray(pipeline.predict_proba(frame)[:, 1], dtype=float)


def measure(
    task: TaskInfo,
    labels: np.ndarray,
    scores: np.ndarray,
    threshold: float,
    classes: list | None = None,
) -> dict:
    """The task's metrics of `scores` against `labels` (threshold: classification only;
    `classes`: the multi-class labels that name the per-class metrics, codes without).

    No rows, nothing measured: only the count, so every reader says "not measured".
    """
    if len(labels) == 0:
        return {"rows": 0}
    from pipeline.modeling.metrics import (
        classification_metrics,
        multiclass_metrics,
        regression_metrics,
    )

    if task is REGRESSION:
        return regression_metrics(labels, scores)
    if task is MULTICLASS:
        return multiclass_metrics(labels, scores, classes)
    return classification_metrics(labels, scores, threshold)
