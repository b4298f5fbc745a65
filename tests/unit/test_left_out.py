"""A feature the training rows cannot teach is left out of the model, never a crash.

On the fixture's rows, with columns blanked in the training rows the way a team's table can
hold them: a column that only later batches fill, or one that never varies in the window.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from helpers import compose

from pipeline.contracts.dataset import load_contracts
from pipeline.modeling import estimators
from pipeline.modeling.dependence import dependence_curves
from pipeline.modeling.derived import plain
from pipeline.modeling.inputs import input_columns
from pipeline.modeling.left_out import combine, left_out, seen
from pipeline.modeling.metrics import permutation_importance_table
from pipeline.modeling.tasks import predict
from pipeline.serving.app import model_categories
from pipeline.serving.request_schema import row_model

SMALL = {
    "hist_gbm": ["model.max_iter=20"],
    "logistic_regression": ["model.max_iter=300"],
    "random_forest": ["model.n_estimators=10", "model.max_depth=6"],
    "xgboost": ["model.n_estimators=20"],
}


def blanked(frame: pd.DataFrame) -> pd.DataFrame:
    """The training rows with monthly_spend blank, the clock time behind the derived
    signup_hour blank, and one plan only."""
    frame = frame.copy()
    frame["monthly_spend"] = np.nan
    frame["signup_hhmm"] = np.nan
    frame["plan"] = "basic"
    return frame


def what_is_left_out(cfg, frame: pd.DataFrame) -> dict[str, str]:
    dataset = cfg.dataset
    categorical, numeric = list(dataset.features.categorical), list(dataset.features.numeric)
    inputs = input_columns(categorical, numeric, dataset.derived)
    derived = estimators.model_features(frame[inputs], dataset.derived)
    return left_out(seen(derived, [*categorical, *numeric]))


def test_a_feature_with_no_values_or_one_value_in_the_training_rows_is_left_out_and_why(
    shop_splits,
):
    cfg = compose()
    rows = len(shop_splits.train)
    assert what_is_left_out(cfg, shop_splits.train) == {}
    assert what_is_left_out(cfg, blanked(shop_splits.train)) == {
        "plan": f"one value (basic) in all {rows:,} training rows",
        "monthly_spend": f"no values in the {rows:,} training rows",
        "signup_hour": f"no values in the {rows:,} training rows",
    }


def test_a_feature_present_in_some_rows_only_is_kept():
    """Whether a value is there can tell rows apart: one value and missing ones is two states."""
    frame = pd.DataFrame({"garage": [1.0, np.nan, 1.0, np.nan], "size": [3, 3, 3, 3]})
    assert left_out(seen(frame, ["garage", "size"])) == {
        "size": "one value (3) in all 4 training rows"
    }


def test_what_the_parts_of_a_table_hold_adds_up_to_what_the_table_holds():
    frame = pd.DataFrame(
        {
            "empty": [np.nan] * 6,
            "late": [np.nan] * 4 + [2.0, 2.0],
            "constant": ["a"] * 6,
            "varies_across_parts": ["a"] * 3 + ["b"] * 3,
        }
    )
    parts = [seen(frame.iloc[start : start + 3], frame.columns) for start in (0, 3)]
    assert combine(parts) == seen(frame, frame.columns)
    assert left_out(combine(parts)) == {
        "empty": "no values in the 6 training rows",
        "constant": "one value (a) in all 6 training rows",
    }


def test_the_engines_find_the_same_features_to_leave_out(shop_splits, tmp_path):
    """engine=dask sums each part up where it lives; the answer is the one pandas gives."""
    from pipeline.modeling.on_cluster import seen_on_cluster

    cfg = compose()
    dataset = cfg.dataset
    categorical, numeric = list(dataset.features.categorical), list(dataset.features.numeric)
    inputs = input_columns(categorical, numeric, dataset.derived)
    train = blanked(shop_splits.train).reset_index(drop=True)
    train.loc[500, "monthly_spend"] = 12.5  # in the second part only
    folder = tmp_path / "train"
    folder.mkdir()
    for index, start in enumerate(range(0, len(train), 400)):
        train.iloc[start : start + 400].to_parquet(folder / f"part-{index:03d}.parquet")
    derived = plain(dataset.derived)
    on_parts = seen_on_cluster(folder, inputs, derived, [*categorical, *numeric])
    assert on_parts == seen(estimators.model_features(train[inputs], derived), on_parts)
    assert list(left_out(on_parts)) == ["plan", "signup_hour"]


@pytest.mark.parametrize("name", sorted(SMALL))
def test_every_model_trains_scores_and_explains_without_the_left_out_features(name, shop_splits):
    """HistGradientBoosting used to fail on a numeric column with no values ("window shape
    cannot be larger than input array shape"). The model still takes the left-out raw columns
    (the client has them) and ignores them; importance and dependence skip them."""
    cfg = compose(f"model={name}", *SMALL[name])
    dataset = cfg.dataset
    categorical, numeric = list(dataset.features.categorical), list(dataset.features.numeric)
    inputs = input_columns(categorical, numeric, dataset.derived)
    train = blanked(shop_splits.train)
    left = what_is_left_out(cfg, train)
    pipeline = estimators.build_pipeline(
        cfg.model, categorical, numeric, cfg.seed, dataset.derived, dataset.task, left
    )
    estimators.fit(pipeline, train, inputs, dataset.target)

    assert list(pipeline.feature_names_in_) == inputs
    holdout = shop_splits.holdout  # its rows do hold these columns: the model ignores them
    scores = predict(pipeline, holdout[inputs])
    again = holdout[inputs].assign(monthly_spend=0.0, signup_hhmm=0, plan="team")
    np.testing.assert_array_equal(scores, predict(pipeline, again))

    importance = permutation_importance_table(
        pipeline, holdout, inputs, dataset.target, seed=cfg.seed, max_rows=300, repeats=1
    )
    assert set(importance["feature"]) == {"region", "tenure_months", "support_calls"}
    curves = dependence_curves(
        pipeline,
        holdout,
        inputs,
        list(importance["feature"]),
        categorical=set(categorical),
        seed=cfg.seed,
        rows=100,
        curves=3,
        grid=5,
    )
    assert set(curves) == set(importance["feature"])


def test_the_api_still_takes_a_left_out_column_and_checks_it_by_the_contract(shop_splits):
    cfg = compose("model=hist_gbm", *SMALL["hist_gbm"])
    dataset = cfg.dataset
    categorical, numeric = list(dataset.features.categorical), list(dataset.features.numeric)
    inputs = input_columns(categorical, numeric, dataset.derived)
    train = blanked(shop_splits.train)
    left = what_is_left_out(cfg, train)
    pipeline = estimators.build_pipeline(
        cfg.model, categorical, numeric, cfg.seed, dataset.derived, dataset.task, left
    )
    estimators.fit(pipeline, train, inputs, dataset.target)
    row = row_model(
        list(pipeline.feature_names_in_),
        model_categories(pipeline),
        load_contracts(dataset).features,
    )
    client_row = shop_splits.current[inputs].iloc[0].to_dict()
    accepted = row(**client_row).model_dump(by_alias=True)  # fields are named by alias
    assert accepted["monthly_spend"] == client_row["monthly_spend"]
    assert accepted["plan"] == client_row["plan"]
    with pytest.raises(ValueError, match="plan"):  # still one of the contract's values
        row(**(client_row | {"plan": "platinum"}))
