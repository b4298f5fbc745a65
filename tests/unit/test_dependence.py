"""Partial dependence with individual curves, on a model fitted to the fixture's features."""

from __future__ import annotations

import numpy as np
import pytest
from helpers import compose

from pipeline.modeling import estimators
from pipeline.modeling.dependence import dependence_curves, file_name
from pipeline.modeling.derived import input_columns


@pytest.fixture(scope="module")
def fitted(shop_features):
    cfg = compose("model=hist_gbm", "model.max_iter=40")
    dataset = cfg.dataset
    categorical, numeric = list(dataset.features.categorical), list(dataset.features.numeric)
    pipeline = estimators.build_pipeline(cfg.model, categorical, numeric, cfg.seed, dataset.derived)
    inputs = input_columns(categorical, numeric, dataset.derived)
    return estimators.fit(pipeline, shop_features, inputs, dataset.target), inputs, set(categorical)


def curves_of(fitted, frame, features, **settings):
    pipeline, inputs, categorical = fitted
    settings = {"seed": 0, "rows": 200, "curves": 200, "grid": 10} | settings
    return dependence_curves(pipeline, frame, inputs, features, categorical=categorical, **settings)


def test_the_average_curve_is_the_mean_of_the_individual_ones(fitted, shop_features):
    # A derived feature (signup_hour from signup_hhmm) and an integer column.
    every_row = len(shop_features)
    found = curves_of(
        fitted, shop_features, ["signup_hour", "tenure_months"], rows=every_row, curves=every_row
    )
    for feature, rows in found.items():
        average = [row for row in rows if row["curve"] == "average"]
        individual = [row for row in rows if row["curve"] != "average"]
        assert len({row["curve"] for row in individual}) == every_row
        grid = [row["value"] for row in average]
        assert grid == sorted(set(grid)) and len(grid) > 3
        if feature in shop_features:  # the grid stays inside the data's 5th..95th percentiles
            low, high = np.quantile(shop_features[feature], [0.05, 0.95])
            assert low <= grid[0] and grid[-1] <= high
        for point in average:
            at = [row["prediction"] for row in individual if row["value"] == point["value"]]
            assert point["prediction"] == pytest.approx(np.mean(at), abs=1e-5)
            assert all(0 <= p <= 1 for p in at)


def test_a_categorical_feature_gives_one_bar_per_category(fitted, shop_features):
    (rows,) = curves_of(fitted, shop_features, ["plan"]).values()
    assert sorted(row["value"] for row in rows) == ["basic", "pro", "team"]
    for row in rows:
        assert row["low"] <= row["prediction"] <= row["high"]
    # The fixture's basic plan churns most (tests/data/shop/generate.py): the model learned it.
    by_plan = {row["value"]: row["prediction"] for row in rows}
    assert by_plan["basic"] > by_plan["pro"] > by_plan["team"]


def test_curves_are_the_same_on_every_run(fitted, shop_features):
    first = curves_of(fitted, shop_features, ["monthly_spend"], rows=100, curves=5)
    assert first == curves_of(fitted, shop_features, ["monthly_spend"], rows=100, curves=5)
    assert len({row["curve"] for row in first["monthly_spend"]}) == 6


def test_any_column_name_makes_a_safe_file_name():
    assert file_name("signup_hour") == "signup_hour.json"
    assert file_name("price/m² (EUR)") == "price_m²__EUR_.json"
