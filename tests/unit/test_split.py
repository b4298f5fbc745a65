"""Batches and the split: their order, the training window, the current batch, and a
stratified, reproducible holdout. On the fixture's features (one batch per year)."""

from __future__ import annotations

import pandas as pd
import pytest

from pipeline.data.batches import batch_order, cut_dates, split_batches, training_window
from pipeline.errors import ConfigError

TARGET = "churned"  # the fixture's target
MONTHS = ["2024-03", "2024-01", "2024-02", "2024-04"]
YEARS = [str(year) for year in range(2019, 2024)]  # the window before the current 2024


def test_numeric_batch_ids_sort_by_value_and_others_as_text():
    assert batch_order(["10", "9", "11", "9"]) == ["9", "10", "11"]
    assert batch_order([2021, 2019, 2020]) == ["2019", "2020", "2021"]
    assert batch_order(["1.5", "10", "2"]) == ["1.5", "2", "10"]
    assert batch_order(["week-10", "week-9", "week-11"]) == ["week-10", "week-11", "week-9"]
    assert batch_order(["10", "9", "w"]) == ["10", "9", "w"]  # one id is not a number
    assert batch_order(MONTHS) == sorted(MONTHS)


def test_current_batch_defaults_to_the_newest_and_trains_on_all_before():
    assert training_window(MONTHS, None, None) == (["2024-01", "2024-02", "2024-03"], "2024-04")
    assert training_window(["9", "10", "8"], None, None) == (["8", "9"], "10")


def test_train_window_keeps_the_last_n_batches_before_current():
    assert training_window(MONTHS, None, 2) == (["2024-02", "2024-03"], "2024-04")
    assert training_window(MONTHS, "2024-03", 1) == (["2024-02"], "2024-03")


def test_the_training_window_works_with_year_ids():
    years = [2021, 2019, 2022, 2020]
    assert training_window(years, None, None) == (["2019", "2020", "2021"], "2022")
    assert training_window(years, 2021, 1) == (["2020"], "2021")  # data.current_batch: 2021
    assert training_window(years, "2021", None) == (["2019", "2020"], "2021")


def test_unknown_current_batch_or_empty_window_fails_clearly():
    with pytest.raises(ConfigError, match="2024-09"):
        training_window(MONTHS, "2024-09", None)
    with pytest.raises(ConfigError, match="no batch before"):
        training_window(MONTHS, "2024-01", None)
    with pytest.raises(ConfigError, match="no batch before"):
        training_window(MONTHS, None, 0)


def _split(features, **overrides):
    options = dict(
        target=TARGET,
        current_batch=None,
        train_window=None,
        method="random",
        holdout_fraction=0.2,
        seed=42,
    )
    return split_batches(features, **(options | overrides))


def test_random_holdout_is_stratified_and_disjoint(shop_features):
    splits = _split(shop_features)
    assert set(splits.current["batch"]) == {"2024"}
    assert len(splits.current) == (shop_features["batch"] == "2024").sum()
    assert set(splits.train["batch"]) == set(splits.holdout["batch"]) == set(YEARS)
    window = shop_features[shop_features["batch"].isin(YEARS)]
    assert len(splits.train) + len(splits.holdout) == len(window)
    assert len(splits.holdout) / len(window) == pytest.approx(0.2, abs=0.001)
    assert splits.holdout[TARGET].mean() == pytest.approx(window[TARGET].mean(), abs=0.002)
    both = ["batch", "region", "plan", "tenure_months", "monthly_spend", "signup_hhmm"]
    assert splits.train.merge(splits.holdout, on=both).empty


def test_same_seed_same_split_other_seed_other_split(shop_features):
    first, again, other = (
        _split(shop_features),
        _split(shop_features),
        _split(shop_features, seed=7),
    )
    assert first.holdout.equals(again.holdout)
    assert not first.holdout.equals(other.holdout)


def test_last_batch_split_holds_out_the_newest_batch_of_the_window(shop_features):
    splits = _split(shop_features, method="last_batch")
    assert set(splits.train["batch"]) == set(YEARS[:-1])
    assert set(splits.holdout["batch"]) == {"2023"}
    window = _split(shop_features, method="last_batch", train_window=2, current_batch="2023")
    assert set(window.train["batch"]) == {"2021"}
    assert set(window.holdout["batch"]) == {"2022"}
    assert set(window.current["batch"]) == {"2023"}


def test_last_batch_split_needs_two_batches(shop_features):
    with pytest.raises(ConfigError, match="at least two batches"):
        _split(shop_features, method="last_batch", train_window=1)


@pytest.mark.parametrize("fraction", [0, 1, 1.5])
def test_holdout_fraction_outside_zero_one_fails(shop_features, fraction):
    with pytest.raises(ConfigError, match="holdout_fraction"):
        _split(shop_features, holdout_fraction=fraction)


def test_a_single_batch_trains_the_model_and_there_is_no_current_batch_yet(shop_features):
    assert training_window(["2024"], None, None) == (["2024"], None)
    one = shop_features[shop_features["batch"] == "2024"]
    splits = split_batches(
        one,
        target=TARGET,
        current_batch=None,
        train_window=None,
        method="random",
        holdout_fraction=0.2,
        seed=42,
    )
    assert len(splits.train) + len(splits.holdout) == len(one)
    assert splits.current.empty and list(splits.current.columns) == list(one.columns)
    # the holdout keeps the share of each class: a snapshot is judged on it
    assert splits.holdout[TARGET].mean() == pytest.approx(one[TARGET].mean(), abs=0.02)


def test_a_single_batch_named_as_current_has_nothing_to_train_on():
    with pytest.raises(ConfigError, match="no batch before the current batch '2024'"):
        training_window(["2024"], "2024", None)


@pytest.mark.parametrize(
    ("by", "ids"),
    [
        ("year", ["2013", "2012", "2013"]),
        ("quarter", ["2013-Q3", "2012-Q4", "2013-Q1"]),
        ("month", ["2013-07", "2012-12", "2013-01"]),
        ("week", ["2013-W27", "2013-W01", "2013-W01"]),  # ISO weeks: Dec 31, 2012 is in 2013's
        ("day", ["2013-07-04", "2012-12-31", "2013-01-01"]),
    ],
)
def test_dates_are_cut_into_batch_ids_that_sort_in_time_order(by, ids):
    dates = pd.Series(["2013-07-04", "2012-12-31T23:30:00+02:00", "2013-01-01 10:00"])
    assert list(cut_dates(dates, by)) == ids
    timestamps = pd.Series(pd.to_datetime(dates.str[:10]))
    assert list(cut_dates(timestamps, by)) == ids  # a timestamp type: the same ids


def test_a_time_with_a_zone_is_cut_in_utc_and_a_non_date_is_missing():
    dates = pd.Series(["2013-07-01T01:00:00+05:00", "not a date", None, "2013/07/04"])
    assert list(cut_dates(dates, "month")) == ["2013-06", None, None, "2013-07"]
