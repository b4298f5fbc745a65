"""Permutation importance gives scikit-learn's numbers, from one prediction call.

`permutation_importance_table` shuffles every used column as scikit-learn's
`permutation_importance` does and scores all the shuffled copies at once; each task's scorer,
each kind of preprocessing (ordinal codes, one-hot with scaling) must give the same table.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from omegaconf import OmegaConf
from sklearn.inspection import permutation_importance

from pipeline.modeling import estimators
from pipeline.modeling.metrics import permutation_importance_table
from pipeline.modeling.tasks import task_info

CATEGORICAL, NUMERIC = ["island"], ["bill", "flipper", "noise"]


def rows(n: int, task: str, seed: int = 0) -> pd.DataFrame:
    """A target in two numbers and the island; `noise` carries nothing."""
    rng = np.random.default_rng(seed)
    frame = pd.DataFrame(
        {
            "island": np.array(["Biscoe", "Dream", "Torgersen"])[rng.integers(0, 3, n)],
            "bill": rng.normal(45, 5, n),
            "flipper": rng.normal(200, 10, n),
            "noise": rng.normal(0, 1, n),
        }
    )
    signal = (frame["bill"] - 45) / 5 + (frame["flipper"] - 200) / 10 + rng.normal(0, 0.7, n)
    signal = signal + (frame["island"] == "Dream") * 0.8
    if task == "regression":
        frame["target"] = signal
    elif task == "multiclass":
        frame["target"] = np.digitize(signal, [-0.6, 0.6])
    else:
        frame["target"] = (signal > 0).astype(int)
    return frame


def scikit_learns(pipeline, frame, columns, target, *, seed, scoring, max_rows, repeats) -> dict:
    """scikit-learn's own permutation importance on the same sample and derived columns."""
    sample = frame.sample(n=min(max_rows, len(frame)), random_state=seed)
    derive, rest = pipeline[:1], pipeline[1:]
    derived = derive.transform(sample[columns])[list(rest[0].feature_names_in_)]
    found = permutation_importance(
        rest, derived, sample[target], scoring=scoring, n_repeats=repeats, random_state=seed
    )
    return dict(zip(derived.columns, np.round(found.importances_mean, 6), strict=True))


@pytest.mark.parametrize(
    ("task", "model"),
    [
        ("classification", "hist_gbm"),
        ("classification", "logistic_regression"),
        ("multiclass", "random_forest"),
        ("regression", "ridge"),
        ("regression", "hist_gbm"),
    ],
)
def test_the_table_is_scikit_learns_permutation_importance(task, model):
    frame = rows(900, task)
    pipeline = estimators.build_pipeline(
        OmegaConf.create({"name": model}), CATEGORICAL, NUMERIC, 3, {}, task
    )
    columns = CATEGORICAL + NUMERIC
    estimators.fit(pipeline, frame.iloc[:600], columns, "target")
    holdout = frame.iloc[600:]
    settings = dict(seed=3, scoring=task_info(task).importance_scoring, max_rows=250, repeats=3)

    table = permutation_importance_table(pipeline, holdout, columns, "target", **settings)
    expected = scikit_learns(pipeline, holdout, columns, "target", **settings)

    assert set(table["feature"]) == set(columns)
    for feature, importance in zip(table["feature"], table["importance"], strict=True):
        assert importance == pytest.approx(expected[feature], abs=1e-6), feature
    assert table["feature"].iloc[-1] in {"noise", "island"}  # the signal ranks first
    assert table["importance"].iloc[0] > 0.01
