"""Derived columns: row-local operations computed inside the saved model, so the model (and
the API serving it) takes the raw columns."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
import skops.io as sio
from helpers import compose

from pipeline.errors import ConfigError
from pipeline.modeling import estimators, model_file
from pipeline.modeling.derived import (
    DerivedColumns,
    check_derived,
    day_of_week,
    hhmm_hours,
    input_columns,
    month_of_date,
    plain,
    weekday_of_date,
)

SIGNUP_DATE = ["signup_year", "signup_month", "signup_day"]
SMALL = {
    "logistic_regression": ["model.max_iter=300"],
    "random_forest": ["model.n_estimators=20", "model.max_depth=8"],
    "hist_gbm": ["model.max_iter=40"],
}


def test_hhmm_hours_turns_clock_times_into_fractional_hours():
    frame = pd.DataFrame({"hhmm": [0, 5, 130, 1345, 2359, 2400]})
    assert hhmm_hours(frame, ["hhmm"]).round(4).tolist() == [0.0, 0.0833, 1.5, 13.75, 23.9833, 24.0]


def test_day_of_week_is_missing_for_a_day_that_does_not_exist():
    frame = pd.DataFrame({"y": [2024, 2024, 2023, 2024], "m": [1, 2, 2, 2], "d": [1, 29, 29, 30]})
    weekdays = day_of_week(frame, ["y", "m", "d"])
    assert weekdays.tolist()[:2] == [0.0, 3.0]  # Monday 1 January, Thursday 29 February 2024
    assert weekdays.isna().tolist() == [False, False, True, True]  # 2023 was no leap year


def test_month_of_date_reads_text_dates_and_is_missing_when_unreadable():
    frame = pd.DataFrame({"signed": ["2024-03-15", "2024-12-01", "not a date", None]})
    months = month_of_date(frame, ["signed"])
    assert months.tolist()[:2] == [3.0, 12.0] and months.isna().tolist()[2:] == [True, True]


def test_weekday_of_date_reads_text_and_timestamps_alike():
    text = pd.DataFrame({"day": ["2024-01-01", "2024-02-29T10:00", "soon"]})
    assert weekday_of_date(text, ["day"]).tolist()[:2] == [0.0, 3.0]  # Monday, Thursday
    assert weekday_of_date(text, ["day"]).isna().tolist() == [False, False, True]
    stamps = pd.DataFrame({"day": pd.to_datetime(["2024-01-01", "2024-02-29"])})
    assert weekday_of_date(stamps, ["day"]).tolist() == [0.0, 3.0]


def test_month_of_date_reads_each_row_alone_whatever_forms_its_neighbours_take():
    # pandas guesses one format from the first value: the others lost their month.
    sent = ["2016-01-05", "2016-02-05T10:30:00", "2016-03-05 10:30", "2016-04-30T23:30:00Z"]
    sent += ["2016-05-31T23:30:00-05:00"]  # the month as written, not as in UTC
    together = month_of_date(pd.DataFrame({"sold": sent}), ["sold"]).tolist()
    alone = [month_of_date(pd.DataFrame({"sold": [value]}), ["sold"]).item() for value in sent]
    assert together == alone == [1.0, 2.0, 3.0, 4.0, 5.0]
    stamps = pd.DataFrame({"sold": pd.to_datetime(["2016-07-01", "2016-08-31"])})
    assert month_of_date(stamps, ["sold"]).tolist() == [7.0, 8.0]


def test_input_columns_replace_each_derived_column_by_its_sources_once():
    derived = {
        "signup_hour": {"op": "hhmm_hours", "columns": ["signup_hhmm"]},
        "signup_weekday": {"op": "day_of_week", "columns": SIGNUP_DATE},
        "signup_dow_again": {"op": "day_of_week", "columns": SIGNUP_DATE},
    }
    numeric = ["tenure_months", "signup_hour", "signup_weekday", "signup_dow_again"]
    assert input_columns(["plan"], numeric, derived) == [
        "plan",
        "tenure_months",
        "signup_hhmm",
        *SIGNUP_DATE,
    ]


def test_an_unknown_operation_is_named_with_the_known_ones():
    with pytest.raises(ConfigError, match=r"dataset.derived.spend_log.op='log'; expected one of"):
        check_derived({"spend_log": {"op": "log", "columns": ["monthly_spend"]}})
    cfg = compose()
    with pytest.raises(ConfigError, match="spend_log"):
        estimators.build_pipeline(
            cfg.model, ["plan"], ["spend_log"], 0, {"spend_log": {"op": "log", "columns": []}}
        )


def test_derived_columns_are_added_to_the_raw_ones():
    step = DerivedColumns({"signup_hour": {"op": "hhmm_hours", "columns": ["signup_hhmm"]}})
    frame = pd.DataFrame({"plan": ["pro"], "signup_hhmm": [1330]})
    out = step.fit(frame).transform(frame)
    assert out.to_dict("list") == {"plan": ["pro"], "signup_hhmm": [1330], "signup_hour": [13.5]}
    assert step.get_feature_names_out() == ["plan", "signup_hhmm", "signup_hour"]
    assert frame.columns.tolist() == ["plan", "signup_hhmm"]  # the input is left alone


def with_signup_dates(frame: pd.DataFrame, seed: int) -> pd.DataFrame:
    """Fixture rows with the date they signed up as three raw columns, always a real day."""
    rng = np.random.default_rng(seed)
    return frame.assign(
        signup_year=frame["batch"].astype(int),
        signup_month=rng.integers(1, 13, len(frame)),
        signup_day=rng.integers(1, 29, len(frame)),
    )


@pytest.mark.parametrize("name", sorted(SMALL))
def test_a_fitted_model_takes_raw_columns_and_derives_its_features_inside(
    name, shop_features, tmp_path
):
    cfg = compose(f"model={name}", *SMALL[name])
    dataset = cfg.dataset
    derived = plain(dataset.derived) | {
        "signup_weekday": {"op": "day_of_week", "columns": SIGNUP_DATE}
    }
    categorical = list(dataset.features.categorical)
    numeric = [*dataset.features.numeric, "signup_weekday"]
    inputs = input_columns(categorical, numeric, derived)
    assert inputs == [
        "region", "plan", "tenure_months", "monthly_spend", "support_calls", "signup_hhmm",
        *SIGNUP_DATE,
    ]  # fmt: skip
    train = with_signup_dates(shop_features[shop_features["batch"] < "2024"], seed=1)
    pipeline = estimators.build_pipeline(cfg.model, categorical, numeric, cfg.seed, derived)
    fitted = estimators.fit(pipeline, train, inputs, dataset.target)
    assert list(fitted.feature_names_in_) == inputs  # what serving is asked for
    seen = list(fitted.named_steps["preprocess"].feature_names_in_)
    assert {"signup_hour", "signup_weekday"} <= set(seen)

    newest = with_signup_dates(shop_features[shop_features["batch"] == "2024"], seed=2)[inputs]
    newest.loc[newest.index[0], ["signup_month", "signup_day"]] = [2, 30]  # no such day
    derived_view = fitted[:1].transform(newest)
    assert derived_view["signup_weekday"].isna().tolist() == [True] + [False] * (len(newest) - 1)
    scores = fitted.predict_proba(newest)[:, 1]
    assert np.isfinite(scores).all() and ((scores > 0) & (scores < 1)).all()

    path = tmp_path / "model.skops"
    model_file.save(fitted, path)
    # skops trusts the step only because the allow-list names it.
    assert "pipeline.modeling.derived.DerivedColumns" in sio.get_untrusted_types(file=path)
    loaded = model_file.load(path)
    assert loaded.named_steps["derive"].derived == derived
    assert list(loaded.feature_names_in_) == inputs
    np.testing.assert_array_equal(loaded.predict_proba(newest)[:, 1], scores)
