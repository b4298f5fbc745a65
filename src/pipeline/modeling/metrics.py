"""Metrics, per-slice metrics and feature importance for a fitted classifier or regressor."""

from __future__ import annotations

import numpy as np
import pandas as pd

# Every scored row of the holdout and the current batch, under paths.evaluation.
PREDICTIONS = "predictions.parquet"
# The group of rows whose slice or group column is missing: in slices, fairness and composition.
MISSING_GROUP = "(missing)"


def group_labels(values: pd.Series) -> pd.Series:
    """A slice or group column as text, with missing values as a group of their own."""
    text = values.astype("string").fillna(MISSING_GROUP)
    return text.astype(object)


def classification_metrics(
    labels: np.ndarray, scores: np.ndarray, threshold: float
) -> dict[str, float]:
    """Ranking, thresholded and probabilistic quality of predicted probabilities."""
    # Imported here, not at the top: the card stage reads this module's constants and must
    # not pay for scikit-learn's import (a second per process).
    from sklearn.metrics import (
        average_precision_score,
        brier_score_loss,
        f1_score,
        log_loss,
        precision_score,
        recall_score,
        roc_auc_score,
    )

    predicted = scores >= threshold
    both_classes = len(np.unique(labels)) == 2
    return {
        "rows": len(labels),
        "positive_share": round(float(np.mean(labels)), 6),
        "roc_auc": round(float(roc_auc_score(labels, scores)), 6) if both_classes else float("nan"),
        "pr_auc": round(float(average_precision_score(labels, scores)), 6),
        "f1": round(float(f1_score(labels, predicted, zero_division=0)), 6),
        "precision": round(float(precision_score(labels, predicted, zero_division=0)), 6),
        "recall": round(float(recall_score(labels, predicted, zero_division=0)), 6),
        "log_loss": round(float(log_loss(labels, scores, labels=[0, 1])), 6),
        "brier": round(float(brier_score_loss(labels, scores)), 6),
    }


def regression_metrics(labels: np.ndarray, predictions: np.ndarray) -> dict[str, float]:
    """Error sizes, explained variance and bias of predicted values.

    MAPE only where no label is zero (it divides by the label); bias is the mean of
    prediction minus label: positive when the model overestimates.
    """
    from sklearn.metrics import mean_absolute_percentage_error, r2_score

    labels, predictions = np.asarray(labels, dtype=float), np.asarray(predictions, dtype=float)
    residual = predictions - labels
    measured = {
        "rows": len(labels),
        "target_mean": round(float(np.mean(labels)), 6) if len(labels) else float("nan"),
        "rmse": round(float(np.sqrt(np.mean(residual**2))), 6) if len(labels) else float("nan"),
        "mae": round(float(np.mean(np.abs(residual))), 6) if len(labels) else float("nan"),
        "r2": round(float(r2_score(labels, predictions)), 6) if len(labels) > 1 else float("nan"),
        "bias": round(float(np.mean(residual)), 6) if len(labels) else float("nan"),
    }
    if len(labels) and np.all(labels != 0):
        measured["mape"] = round(float(mean_absolute_percentage_error(labels, predictions)), 6)
    return measured


def slice_metrics(
    frame: pd.DataFrame,
    labels: np.ndarray,
    scores: np.ndarray,
    *,
    columns: list[str],
    threshold: float,
    min_rows: int,
    task=None,
) -> pd.DataFrame:
    """One row per (column, value) with at least `min_rows` rows, worst first by the task's
    primary metric (lowest ROC AUC, highest RMSE). Missing values are a slice of their own."""
    from pipeline.modeling.tasks import CLASSIFICATION, measure

    task = task or CLASSIFICATION
    rows = []
    for column in columns:
        values = group_labels(frame[column]).to_numpy()
        for value in sorted(set(values)):
            member = values == value
            if member.sum() < min_rows:
                continue
            metrics = measure(task, labels[member], scores[member], threshold)
            rows.append({"slice": column, "value": value, **metrics})
    table = pd.DataFrame(rows)
    if table.empty:
        # A header still: the card and the page read the file whatever the slice sizes.
        metrics = [m for m in task.card_metrics if m != "rows"]
        return pd.DataFrame(columns=["slice", "value", "rows", task.base_rate, *metrics])
    return table.sort_values(
        ["slice", task.primary, "value"], ascending=[True, task.higher_is_better, True]
    ).reset_index(drop=True)


def permutation_importance_table(
    pipeline,
    frame: pd.DataFrame,
    columns: list[str],
    target: str,
    *,
    seed: int,
    scoring: str = "roc_auc",
    max_rows: int = 5000,
    repeats: int = 3,
) -> pd.DataFrame:
    """How much `scoring` worsens when each model feature is shuffled, on a seeded sample.

    Features are shuffled after the model's derived columns are computed: shuffling a date's
    year, month and day apart would make dates that do not exist.
    """
    from sklearn.inspection import permutation_importance

    sample = frame.sample(n=min(max_rows, len(frame)), random_state=seed)
    derive, rest = pipeline[:1], pipeline[1:]
    preprocess = rest.named_steps["preprocess"]
    derived = derive.transform(sample[columns])[list(preprocess.feature_names_in_)]
    result = permutation_importance(
        rest, derived, sample[target], scoring=scoring, n_repeats=repeats, random_state=seed
    )
    # The raw sources of derived columns pass through the frame unused: only features count.
    used = {c for name, _, cols in preprocess.transformers_ if name != "remainder" for c in cols}
    table = pd.DataFrame(
        {"feature": derived.columns, "importance": np.round(result.importances_mean, 6)}
    )
    table = table[table["feature"].isin(used)]
    return table.sort_values(["importance", "feature"], ascending=[False, True]).reset_index(
        drop=True
    )


def calibration_error(labels: np.ndarray, scores: np.ndarray, bins: int = 10) -> float:
    """Expected calibration error: the row-weighted gap between predicted and observed rates."""
    if len(labels) == 0:
        return float("nan")
    edges = np.linspace(0, 1, bins + 1)
    which = np.clip(np.digitize(scores, edges[1:-1]), 0, bins - 1)
    gap = 0.0
    for index in range(bins):
        in_bin = which == index
        if in_bin.any():
            gap += in_bin.mean() * abs(scores[in_bin].mean() - labels[in_bin].mean())
    return round(float(gap), 6)
