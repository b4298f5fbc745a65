"""Likely leaks: columns that give the answer away on the training batches.

A column that alone predicts the target almost perfectly is usually recorded after the fact
(a delay that defines "late", a total that contains the target). `init` names them and
suggests `--drop`; it never drops one by itself, because only the team knows what a column
means at prediction time.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

# A single column scoring at least this (ROC AUC, or R²) on rows it was not fitted on is
# "almost perfect".
ALMOST_PERFECT = 0.98
MAX_ROWS = 20_000  # rows drawn (seeded) for the single-column models


@dataclass(frozen=True)
class Leak:
    column: str
    reason: str


def one_to_one(column: pd.Series, target: pd.Series) -> bool:
    """Each value of the column goes with one target value and back (a relabelled target)."""
    pairs = pd.DataFrame({"column": column.astype(str), "target": target}).dropna()
    if pairs["column"].nunique() < 2:
        return False
    return bool(
        pairs.groupby("column")["target"].nunique().max() == 1
        and pairs.groupby("target")["column"].nunique().max() == 1
    )


def single_column_score(column: pd.Series, target: pd.Series, task: str, seed: int) -> float:
    """How well a shallow tree on this column alone predicts the target, on held-out rows."""
    from sklearn.metrics import r2_score, roc_auc_score
    from sklearn.model_selection import train_test_split
    from sklearn.tree import DecisionTreeClassifier, DecisionTreeRegressor

    frame = pd.DataFrame({"x": column, "y": target}).dropna(subset=["y"])
    if len(frame) > MAX_ROWS:
        frame = frame.sample(n=MAX_ROWS, random_state=seed)
    if pd.api.types.is_numeric_dtype(frame["x"]) and not pd.api.types.is_bool_dtype(frame["x"]):
        x = frame[["x"]].astype(float).replace([np.inf, -np.inf], np.nan)  # trees split on NaN
    else:
        x = frame[["x"]].astype(str).apply(lambda s: s.astype("category").cat.codes)
    y = frame["y"]
    if len(frame) < 20 or y.nunique() < 2:
        return float("nan")
    classes = task in ("classification", "multiclass")
    # Stratified where every class has two rows at least (a rare class cannot be split).
    stratify = y if classes and y.value_counts().min() >= 2 else None
    x_fit, x_test, y_fit, y_test = train_test_split(
        x, y, test_size=0.3, random_state=seed, stratify=stratify
    )
    if classes:
        tree = DecisionTreeClassifier(max_depth=8, min_samples_leaf=10, random_state=seed)
        tree.fit(x_fit, y_fit)
        probabilities = tree.predict_proba(x_test)
        if y.nunique() == 2:
            return float(roc_auc_score(y_test, probabilities[:, 1]))
        if set(y_test.unique()) != set(tree.classes_):
            return float("nan")  # a class absent from the held-out rows: no one-vs-rest AUC
        return float(roc_auc_score(y_test, probabilities, multi_class="ovr", labels=tree.classes_))
    tree = DecisionTreeRegressor(max_depth=8, min_samples_leaf=10, random_state=seed)
    tree.fit(x_fit, y_fit)
    return float(r2_score(y_test, tree.predict(x_test)))


def find_leaks(
    frame: pd.DataFrame, target: str, candidates: list[str], task: str, *, seed: int = 0
) -> list[Leak]:
    """The candidate columns that alone give the target away on `frame` (the training rows)."""
    leaks = []
    metric = "R²" if task == "regression" else "ROC AUC"
    for column in candidates:
        series = frame[column]
        if not pd.api.types.is_numeric_dtype(series) and one_to_one(series, frame[target]):
            leaks.append(Leak(column, "its values map one to one onto the target's"))
            continue
        score = single_column_score(series, frame[target], task, seed)
        if score >= ALMOST_PERFECT:
            leaks.append(Leak(column, f"alone predicts the target with {metric} {score:.3f}"))
    return leaks
