"""Regression as a task: metrics, slices, the holdout, estimators, the gate and the contract,
on the fixture's regression dataset (tests/data/conf/dataset/shop_value.yaml)."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from helpers import ROOT, compose
from omegaconf import OmegaConf

from pipeline.contracts.dataset import predictions
from pipeline.data.batches import split_batches, stratified_holdout
from pipeline.data.feature_table import feature_table
from pipeline.errors import ConfigError
from pipeline.modeling import estimators
from pipeline.modeling.inputs import input_columns
from pipeline.modeling.metrics import regression_metrics
from pipeline.modeling.slices import slice_metrics
from pipeline.modeling.tasks import REGRESSION, model_task, predict
from pipeline.monitoring import gate


@pytest.fixture(scope="module")
def value_params():
    return compose("dataset=shop_value")


@pytest.fixture(scope="module")
def value_splits(shop_raw, value_params):
    dataset = value_params.dataset
    inputs = input_columns(
        list(dataset.features.categorical), list(dataset.features.numeric), dataset.derived
    )
    features, _ = feature_table(
        shop_raw, batch_column="year", target=dataset.target, columns=[*inputs, *dataset.slices]
    )
    return inputs, split_batches(
        features,
        target=dataset.target,
        current_batch=None,
        train_window=None,
        method="random",
        holdout_fraction=0.2,
        seed=42,
        task="regression",
    )


def test_regression_metrics_match_hand_computed_values():
    measured = regression_metrics(np.array([1.0, 2.0, 3.0, 4.0]), np.array([1.0, 2.0, 3.0, 6.0]))
    # residuals 0, 0, 0, 2: mean square 1; total sum of squares 5, residual sum 4
    assert measured == {
        "rows": 4,
        "target_mean": 2.5,
        "rmse": 1.0,
        "mae": 0.5,
        "r2": 0.2,
        "bias": 0.5,
        "mape": 0.125,
    }


def test_mape_is_left_out_where_a_label_is_zero():
    assert "mape" not in regression_metrics(np.array([0.0, 2.0]), np.array([1.0, 2.0]))


def test_slices_are_ranked_worst_rmse_first():
    frame = pd.DataFrame({"group": ["a"] * 3 + ["b"] * 3})
    labels = np.array([1.0, 2.0, 3.0, 1.0, 2.0, 3.0])
    predicted = np.array([1.0, 2.0, 3.0, 4.0, 5.0, 6.0])  # group b is off by 3
    table = slice_metrics(
        frame, labels, predicted, columns=["group"], threshold=0.5, min_rows=1, task=REGRESSION
    )
    assert table["value"].tolist() == ["b", "a"]
    assert table["rmse"].tolist() == [3.0, 0.0]


def test_a_regression_holdout_spans_the_whole_range_of_the_label():
    labels = pd.Series(np.arange(1000, dtype=float))
    holdout = stratified_holdout(labels, 0.2, seed=1, bins=10)
    assert holdout.sum() == 200
    # 20 rows from each tenth of the range, not one tenth by chance
    assert np.bincount(np.arange(1000)[holdout] // 100).tolist() == [20] * 10


@pytest.mark.parametrize("name", ["ridge", "random_forest", "hist_gbm"])
def test_each_regression_model_learns_the_fixture(name, value_params, value_splits):
    inputs, splits = value_splits
    dataset = value_params.dataset
    model = compose("dataset=shop_value", f"model={name}").model
    pipeline = estimators.build_pipeline(
        model,
        list(dataset.features.categorical),
        list(dataset.features.numeric),
        42,
        dataset.derived,
        "regression",
    )
    estimators.fit(pipeline, splits.train, inputs, dataset.target)
    assert model_task(pipeline) is REGRESSION
    measured = regression_metrics(
        splits.holdout[dataset.target], predict(pipeline, splits.holdout[inputs])
    )
    # The fixture's value is mostly tenure and plan: every model explains most of it.
    assert measured["r2"] > 0.6


@pytest.mark.parametrize(
    ("task", "model", "named"),
    [
        ("regression", "logistic_regression", "choose one of ridge, random_forest, hist_gbm"),
        ("classification", "ridge", "choose one of logistic_regression, random_forest"),
    ],
)
def test_a_model_of_the_other_task_is_refused_naming_the_choices(task, model, named):
    chosen = compose(f"model={model}").model
    with pytest.raises(ConfigError, match=named):
        estimators.build_pipeline(chosen, ["plan"], ["tenure_months"], 42, None, task)


def test_class_weight_is_refused_in_regression():
    chosen = compose("model=random_forest", "model.class_weight=balanced").model
    with pytest.raises(ConfigError, match="class_weight"):
        estimators.build_pipeline(chosen, ["plan"], ["tenure_months"], 42, None, "regression")


def model_summary(holdout_rmse: float, current_rmse: float | None, r2: float | None):
    current = {"rows": 400, "rmse": current_rmse, "r2": r2}
    if current_rmse is None:
        current = {"rows": 0, "rmse": None}
    return {"holdout": {"rmse": holdout_rmse, "r2": 0.9}, "current": current}


def regression_checks(model):
    limits = compose("dataset=shop_value").dataset.gate  # min R² 0.3, RMSE rise 0.3
    return {check.name: check for check in gate.regression_checks(**model, model_gate=limits)}


def test_the_gate_fails_an_rmse_rise_naming_both_values():
    checks = regression_checks(model_summary(80.0, 120.0, 0.7))
    rise = checks["RMSE rise from the holdout"]
    assert not rise.passed
    assert rise.describe() == (
        "RMSE rise from the holdout: 0.500 > 0.300 (RMSE 120.000 vs holdout 80.000)"
    )
    assert checks["R² on the newest batch"].passed


def test_the_gate_fails_a_low_r2_and_passes_a_healthy_batch():
    assert not regression_checks(model_summary(80.0, 85.0, 0.1))["R² on the newest batch"].passed
    assert all(check.passed for check in regression_checks(model_summary(80.0, 85.0, 0.8)).values())


def test_the_gate_says_not_measured_when_the_newest_batch_has_no_labels():
    checks = regression_checks(model_summary(80.0, None, None))
    assert all(check.value is None and check.passed for check in checks.values())
    assert "no labels yet" in checks["RMSE rise from the holdout"].describe()


def test_the_gate_runs_the_checks_of_the_dataset_task():
    data = {
        "drift": {"drifted_columns": [], "drifted_share": 0.0, "target_distance": 0.0},
        "quality": {
            "worst_missing_column": None,
            "worst_missing_increase": 0.0,
            "new_categories": {},
            "new_category_share": 0.0,
        },
    }
    limits = OmegaConf.load(ROOT / "conf" / "report" / "default.yaml").gate
    names = [
        check.name
        for check in gate.checks(
            data, model_summary(80, 85, 0.8), limits, compose().dataset.gate, "regression"
        )
    ]
    assert names[-2:] == ["R² on the newest batch", "RMSE rise from the holdout"]
    assert not any("ROC" in name for name in names)


def test_the_predictions_contract_refuses_a_non_finite_prediction():
    from pipeline.contracts.apply import check

    table = pd.DataFrame(
        {
            "batch": ["2024", "2024"],
            "split": ["current", "current"],
            "annual_value": [10.0, 20.0],
            "prediction": [12.0, np.inf],
        }
    )
    _, report = check(predictions("annual_value", 0.5, "regression"), table, "predictions")
    assert not report["valid"]
    assert [(f["column"], f["rule"]) for f in report["failures"]] == [("prediction", "finite")]
    _, report = check(predictions("annual_value", 0.5, "regression"), table.iloc[:1], "p")
    assert report["valid"]
