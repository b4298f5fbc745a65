"""The estimator: a preprocessing + model sklearn pipeline built from config, and its fit."""

from __future__ import annotations

from collections.abc import Collection, Mapping
from typing import Any

import numpy as np
import pandas as pd
from sklearn.compose import ColumnTransformer
from sklearn.ensemble import (
    HistGradientBoostingClassifier,
    HistGradientBoostingRegressor,
    RandomForestClassifier,
    RandomForestRegressor,
)
from sklearn.impute import SimpleImputer
from sklearn.linear_model import LogisticRegression, Ridge
from sklearn.pipeline import Pipeline
from sklearn.preprocessing import OneHotEncoder, OrdinalEncoder, StandardScaler
from xgboost import XGBClassifier, XGBRegressor

from pipeline.errors import ConfigError
from pipeline.modeling.derived import DerivedColumns, check_derived, plain

# Per task, the estimator class of each model name. Every classifier here handles three or
# more classes natively (XGBoost with a softmax objective, set below).
CLASSIFIERS = {
    "logistic_regression": LogisticRegression,
    "random_forest": RandomForestClassifier,
    "hist_gbm": HistGradientBoostingClassifier,
    "xgboost": XGBClassifier,
}
ESTIMATORS = {
    "classification": CLASSIFIERS,
    "multiclass": CLASSIFIERS,
    "regression": {
        "ridge": Ridge,
        "random_forest": RandomForestRegressor,
        "hist_gbm": HistGradientBoostingRegressor,
        "xgboost": XGBRegressor,
    },
}
LINEAR = {"logistic_regression", "ridge"}  # one-hot categories and scaled numbers
# Models that learn from a table's parts where they are (modeling/on_cluster.py), so a table
# past memory trains on a Dask cluster without ever being whole.
LEARN_FROM_PARTS = {"xgboost"}


def _estimator(model: Any, categorical: list[str], seed: int, task: str):
    params = {key: value for key, value in dict(model).items() if key != "name"}
    models = ESTIMATORS[str(task)]
    if model.name not in models:
        raise ConfigError(
            f"model={model.name} does not fit dataset.task={task}: choose one of "
            f"{', '.join(models)}"
        )
    if str(task) == "regression" and params.pop("class_weight", None) is not None:
        raise ConfigError("model.class_weight weighs classes: it has no meaning in regression")
    if model.name == "hist_gbm":
        params |= {"early_stopping": False, "categorical_features": categorical}
    if model.name == "xgboost":
        # One thread: the scores are then the same run after run (as for the forest).
        params |= {"tree_method": "hist", "n_jobs": 1, "verbosity": 0}
        if str(task) == "multiclass":  # one probability per class, summing to 1
            params |= {"objective": "multi:softprob"}
    return models[model.name](random_state=seed, **params)


def _preprocessing(
    model_name: str, categorical: list[str], numeric: list[str]
) -> ColumnTransformer:
    if model_name in LINEAR:
        cat = OneHotEncoder(handle_unknown="ignore", min_frequency=20, sparse_output=False)
        num = Pipeline([("impute", SimpleImputer(strategy="median")), ("scale", StandardScaler())])
    elif model_name in ("hist_gbm", "xgboost"):
        # Categories unseen in training (a new destination) become missing values.
        cat = OrdinalEncoder(handle_unknown="use_encoded_value", unknown_value=np.nan)
        num = "passthrough"
    else:
        cat = OrdinalEncoder(
            handle_unknown="use_encoded_value", unknown_value=-1, encoded_missing_value=-1
        )
        num = SimpleImputer(strategy="median")
    transformer = ColumnTransformer(
        [("categorical", cat, categorical), ("numeric", num, numeric)],
        verbose_feature_names_out=False,
    )
    if model_name in ("hist_gbm", "xgboost"):
        # Keep column names so the booster finds its categorical columns by name and splits
        # on them natively (codes 0..k-1; unseen categories are NaN, i.e. missing).
        transformer.set_output(transform="pandas")
    return transformer


def build_pipeline(
    model: Any,
    categorical: list[str],
    numeric: list[str],
    seed: int,
    derived: Mapping | None = None,
    task: str = "classification",
    left_out: Collection[str] = (),
) -> Pipeline:
    """Derived columns, preprocessing and estimator for the configured model and task, seeded.

    The pipeline takes the raw input columns (`derived.input_columns`): what serving gets.
    Features in `left_out` (see modeling/left_out.py) are not computed and not used; their raw
    columns are still taken, and ignored.
    """
    derived = plain(derived or {})
    check_derived(derived)
    derived = {name: spec for name, spec in derived.items() if name not in left_out}
    categorical = [name for name in categorical if name not in left_out]
    numeric = [name for name in numeric if name not in left_out]
    return Pipeline(
        [
            ("derive", DerivedColumns(derived)),
            ("preprocess", _preprocessing(model.name, categorical, numeric)),
            ("estimator", _estimator(model, categorical, seed, task)),
        ]
    )


def model_features(frame: pd.DataFrame, derived: Mapping | None) -> pd.DataFrame:
    """`frame` (raw input columns) with the derived columns the model's first step adds."""
    return DerivedColumns(plain(derived or {})).transform(frame)


def fit(pipeline: Pipeline, frame: pd.DataFrame, columns: list[str], target: str) -> Pipeline:
    """Fit on `columns` of `frame`; the fitted model then predicts on one thread.

    A forest summing tree outputs across threads adds them in a varying order, so scores
    differ in the last bits from run to run; one thread keeps every score reproducible.
    """
    pipeline.fit(frame[columns], frame[target])
    return fit_done(pipeline)


def fit_done(pipeline: Pipeline) -> Pipeline:
    """A fitted model predicts on one thread (see `fit`), and its file is the same on any machine.

    Gradient boosting's fitted binner keeps the number of OpenMP threads it was fitted with;
    that number would make the saved file, and its hash in dvc.lock, differ between machines
    with different core counts. Binning is done by then and predictions do not read it.
    """
    estimator = pipeline.named_steps["estimator"]
    if "n_jobs" in estimator.get_params():
        estimator.set_params(n_jobs=1)
    binner = getattr(estimator, "_bin_mapper", None)
    if binner is not None:
        binner.n_threads = None
    return pipeline
