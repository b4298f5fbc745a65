"""Metrics and feature importance for a fitted classifier or regressor."""

from __future__ import annotations

import re

import numpy as np
import pandas as pd

NAN = float("nan")


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


def class_key(label) -> str:
    """A class label as part of a metric's name (`recall_Adelie`): a slash would nest it in
    DVC's metrics and spaces read badly, so both become underscores."""
    return re.sub(r"[/\s]+", "_", str(label))


def multiclass_metrics(
    labels: np.ndarray, scores: np.ndarray, classes: list | None = None
) -> dict[str, float]:
    """Quality of a matrix of class probabilities (rows x classes) against class codes.

    ROC AUC is one-vs-rest, macro-averaged over the classes; it is NaN (not measured) when a
    class is absent from the rows, since that class's curve then has no positive. Per class,
    precision and recall of the most likely class, named by label (`recall_Adelie`);
    `majority_share` is the accuracy of always answering the most common class.
    """
    from sklearn.metrics import accuracy_score, f1_score, log_loss, roc_auc_score

    labels = np.asarray(labels).astype(int)
    scores = np.asarray(scores, dtype=float)
    codes = list(range(scores.shape[1]))
    names = [class_key(label) for label in (classes if classes is not None else codes)]
    predicted = scores.argmax(axis=1)
    every_class = set(codes) <= set(labels.tolist())
    measured = {
        "rows": len(labels),
        "majority_share": round(float(np.bincount(labels).max() / len(labels)), 6),
        "roc_auc": round(float(roc_auc_score(labels, scores, multi_class="ovr", labels=codes)), 6)
        if every_class
        else float("nan"),
        "accuracy": round(float(accuracy_score(labels, predicted)), 6),
        "f1_macro": round(
            float(f1_score(labels, predicted, labels=codes, average="macro", zero_division=0)), 6
        ),
        "f1_weighted": round(
            float(f1_score(labels, predicted, labels=codes, average="weighted", zero_division=0)),
            6,
        ),
        "log_loss": round(float(log_loss(labels, scores, labels=codes)), 6),
    }
    for code, name in zip(codes, names, strict=True):
        chosen, actual = predicted == code, labels == code
        hits = int((chosen & actual).sum())
        # Undefined (no row predicted, or none of the class) is NaN, not 0: nothing was missed.
        measured[f"precision_{name}"] = _share(hits, int(chosen.sum()))
        measured[f"recall_{name}"] = _share(hits, int(actual.sum()))
    return measured


def _share(part: int, whole: int) -> float:
    return round(part / whole, 6) if whole else NAN


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
    year, month and day apart would make dates that do not exist. Only the columns the
    preprocessing uses are shuffled. The numbers are scikit-learn's `permutation_importance`
    (the same shuffles, seeded the same way), from one prediction call over every shuffled
    copy instead of one call per copy: a call's fixed cost was half of the time.
    """
    sample = frame.sample(n=min(max_rows, len(frame)), random_state=seed)
    derive, rest = pipeline[:1], pipeline[1:]
    preprocess = rest.named_steps["preprocess"]
    used = {c for name, _, cols in preprocess.transformers_ if name != "remainder" for c in cols}
    features = [column for column in preprocess.feature_names_in_ if column in used]
    derived = derive.transform(sample[columns])[list(preprocess.feature_names_in_)]
    derived = derived.reset_index(drop=True)
    labels = sample[target].to_numpy()
    # As scikit-learn does: one seed drawn from `seed` starts every column's shuffles afresh;
    # each repeat shuffles the order again and applies it to the column already shuffled.
    column_seed = np.random.RandomState(seed).randint(np.iinfo(np.int32).max + 1)
    copies = [derived]
    for feature in features:
        shuffle, order = np.random.RandomState(column_seed), np.arange(len(derived))
        values = derived[feature].to_numpy()
        for _ in range(repeats):
            shuffle.shuffle(order)
            values = values[order]
            copies.append(derived.assign(**{feature: values}))
    outputs = _scored_outputs(rest, pd.concat(copies, ignore_index=True), scoring)
    scores = [
        _score(scoring, labels, outputs[start : start + len(derived)])
        for start in range(0, len(outputs), len(derived))
    ]
    baseline, shuffled = scores[0], np.reshape(scores[1:], (len(features), repeats))
    table = pd.DataFrame(
        {"feature": features, "importance": np.round((baseline - shuffled).mean(axis=1), 6)}
    )
    return table.sort_values(["importance", "feature"], ascending=[False, True]).reset_index(
        drop=True
    )


def _scored_outputs(model, frame: pd.DataFrame, scoring: str) -> np.ndarray:
    """What scikit-learn's scorer of that name reads from the model."""
    if scoring == "roc_auc":  # the decision function where there is one, as the scorer does
        if hasattr(model, "decision_function"):
            return np.asarray(model.decision_function(frame))
        return np.asarray(model.predict_proba(frame))[:, 1]
    if scoring == "roc_auc_ovr":
        return np.asarray(model.predict_proba(frame))
    if scoring == "neg_root_mean_squared_error":
        return np.asarray(model.predict(frame))
    raise ValueError(f"no importance scoring named {scoring!r}")


def _score(scoring: str, labels: np.ndarray, outputs: np.ndarray) -> float:
    """scikit-learn's scorer of that name: higher is better."""
    from sklearn.metrics import roc_auc_score, root_mean_squared_error

    if scoring == "roc_auc":
        return float(roc_auc_score(labels, outputs))
    if scoring == "roc_auc_ovr":
        return float(roc_auc_score(labels, outputs, multi_class="ovr"))
    return -float(root_mean_squared_error(labels, outputs))


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
