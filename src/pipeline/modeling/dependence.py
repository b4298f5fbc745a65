"""Feature dependence: partial dependence with individual (ICE) curves.

Computed on the model's features after its derived columns, like permutation importance:
the curve of `sched_dep_hour` says more than one of the clock time it is derived from, and a
date's parts cannot be moved apart. The grid is the feature's own values between its 5th and
95th percentiles (its categories, most frequent first), so no curve leaves the data.
A multi-class model has one probability per class: each class gets its own curves.
"""

from __future__ import annotations

import re

import numpy as np
import pandas as pd

MAX_CATEGORIES = 20


def file_name(feature: str) -> str:
    """A plot file's name for a feature: any column name, safe as a file name."""
    return re.sub(r"[^\w.-]", "_", feature) + ".json"


def _grid(values: pd.Series, points: int, categorical: bool) -> np.ndarray:
    present = values.dropna()
    if categorical:
        return present.astype(str).value_counts().index[:MAX_CATEGORIES].to_numpy(dtype=object)
    quantiles = np.quantile(present.astype(float), np.linspace(0.05, 0.95, points))
    return np.unique(np.round(quantiles, 6))


def dependence_curves(
    pipeline,
    frame: pd.DataFrame,
    columns: list[str],
    features: list[str],
    *,
    categorical: set[str],
    seed: int,
    rows: int,
    curves: int,
    grid: int,
) -> dict[str, list[dict]]:
    """{feature: plot rows}. A numeric feature's rows are its average curve and `curves`
    individual curves ({"value", "prediction", "curve"}); a categorical feature's are one row
    per category with the average and the 10th and 90th percentiles of the individual ones."""
    found = per_output(
        pipeline,
        frame,
        columns,
        features,
        categorical=categorical,
        seed=seed,
        rows=rows,
        curves=curves,
        grid=grid,
    )
    return {feature: outputs[0] for feature, outputs in found.items()}


def class_dependence_curves(
    pipeline,
    frame: pd.DataFrame,
    columns: list[str],
    features: list[str],
    classes: list,
    *,
    categorical: set[str],
    seed: int,
    rows: int,
    curves: int,
    grid: int,
) -> dict[str, dict[str, list[dict]]]:
    """A multi-class model's: {feature: {class label: plot rows}}, the partial dependence of
    each class's probability, its rows shaped as `dependence_curves` shapes them."""
    found = per_output(
        pipeline,
        frame,
        columns,
        features,
        categorical=categorical,
        seed=seed,
        rows=rows,
        curves=curves,
        grid=grid,
    )
    # scikit-learn gives one output per class the model was fitted on, in class-code order.
    fitted = [classes[int(code)] for code in pipeline.classes_]
    return {
        feature: {str(label): rows for label, rows in zip(fitted, outputs, strict=True)}
        for feature, outputs in found.items()
    }


def per_output(
    pipeline,
    frame: pd.DataFrame,
    columns: list[str],
    features: list[str],
    *,
    categorical: set[str],
    seed: int,
    rows: int,
    curves: int,
    grid: int,
) -> dict[str, list[list[dict]]]:
    """{feature: plot rows per model output}: one output for a binary classifier (the
    positive class's probability) or a regressor, one per class for a multi-class model."""
    sample = frame.sample(n=min(rows, len(frame)), random_state=seed)
    derive, rest = pipeline[:1], pipeline[1:]
    preprocess = rest.named_steps["preprocess"]
    derived = derive.transform(sample[columns])[list(preprocess.feature_names_in_)]
    derived = derived.reset_index(drop=True)
    drawn = np.random.default_rng(seed).choice(len(derived), min(curves, len(derived)), False)
    found = {}
    for feature in features:
        is_categorical = feature in categorical
        # scikit-learn refuses integer columns here (its grid would be rounded).
        derived[feature] = derived[feature].astype(object if is_categorical else float)
        values = _grid(derived[feature], grid, is_categorical)
        if len(values) == 0:
            continue
        individual = _predictions_at(rest, derived, feature, values)
        found[feature] = [
            _plot_rows(values, curves.mean(axis=0), curves, drawn, is_categorical)
            for curves in individual
        ]
    return found


def _predictions_at(model, rows: pd.DataFrame, feature: str, values: np.ndarray) -> np.ndarray:
    """Every row's prediction with `feature` set to each value in turn: (outputs, rows, values).

    scikit-learn's brute-force partial dependence, in one prediction call for the whole grid
    instead of one per value (a call's fixed cost was most of the time). A binary classifier
    has one output, the positive class's probability; a multi-class model one per class.
    """
    from sklearn.base import is_classifier

    grid = pd.concat([rows.assign(**{feature: value}) for value in values], ignore_index=True)
    if is_classifier(model):
        found = np.asarray(model.predict_proba(grid), dtype=float)
        found = found[:, 1:] if found.shape[1] == 2 else found
    else:
        found = np.asarray(model.predict(grid), dtype=float).reshape(-1, 1)
    return found.reshape(len(values), len(rows), -1).transpose(2, 1, 0)


def _plot_rows(
    values: np.ndarray,
    average: np.ndarray,
    individual: np.ndarray,
    drawn: np.ndarray,
    is_categorical: bool,
) -> list[dict]:
    """One output's plot rows: bars per category, or the average and drawn individual curves."""
    if is_categorical:
        low, high = np.quantile(individual, [0.1, 0.9], axis=0)
        return [
            {
                "value": str(value),
                "prediction": round(float(mean), 6),
                "low": round(float(lo), 6),
                "high": round(float(hi), 6),
            }
            for value, mean, lo, hi in zip(values, average, low, high, strict=True)
        ]
    points = [
        {"value": float(value), "prediction": round(float(mean), 6), "curve": "average"}
        for value, mean in zip(values, average, strict=True)
    ]
    for row in sorted(drawn):
        points += [
            {"value": float(value), "prediction": round(float(y), 6), "curve": f"row {row}"}
            for value, y in zip(values, individual[row], strict=True)
        ]
    return points
