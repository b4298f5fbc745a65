"""Splitting batches: training window, current batch, stratified and reproducible holdout."""

from __future__ import annotations

import pytest

from pipeline.data.batches import split_batches, training_window
from pipeline.examples.flights.features import TARGET

BATCHES = ["2013-03", "2013-01", "2013-02", "2013-04"]


def test_current_batch_defaults_to_the_newest_and_trains_on_all_before():
    assert training_window(BATCHES, None, None) == (["2013-01", "2013-02", "2013-03"], "2013-04")


def test_train_window_keeps_the_last_n_batches_before_current():
    assert training_window(BATCHES, None, 2) == (["2013-02", "2013-03"], "2013-04")
    assert training_window(BATCHES, "2013-03", 1) == (["2013-02"], "2013-03")


def test_unknown_current_batch_or_empty_window_fails_clearly():
    with pytest.raises(ValueError, match="2013-09"):
        training_window(BATCHES, "2013-09", None)
    with pytest.raises(ValueError, match="no batch before"):
        training_window(BATCHES, "2013-01", None)


def _split(features, **overrides):
    options = dict(
        current_batch=None, train_window=None, method="random", holdout_fraction=0.2, seed=42
    )
    return split_batches(features, **(options | overrides))


def test_random_holdout_is_stratified_and_disjoint(features_small):
    splits = _split(features_small)
    assert set(splits.current["batch"]) == {"2013-03"}
    assert set(splits.train["batch"]) | set(splits.holdout["batch"]) == {"2013-01", "2013-02"}
    window = features_small[features_small["batch"] < "2013-03"]
    assert len(splits.train) + len(splits.holdout) == len(window)
    assert len(splits.holdout) / len(window) == pytest.approx(0.2, abs=0.001)
    assert splits.holdout[TARGET].mean() == pytest.approx(window[TARGET].mean(), abs=0.002)


def test_same_seed_same_split_other_seed_other_split(features_small):
    first, again, other = (
        _split(features_small),
        _split(features_small),
        _split(features_small, seed=7),
    )
    assert first.holdout.equals(again.holdout)
    assert not first.holdout.equals(other.holdout)


def test_last_batch_split_holds_out_the_newest_batch_of_the_window(features_small):
    splits = _split(features_small, method="last_batch")
    assert set(splits.train["batch"]) == {"2013-01"}
    assert set(splits.holdout["batch"]) == {"2013-02"}


def test_last_batch_split_needs_two_batches(features_small):
    with pytest.raises(ValueError, match="at least two batches"):
        _split(features_small, method="last_batch", train_window=1)


@pytest.mark.parametrize("fraction", [0, 1, 1.5])
def test_holdout_fraction_outside_zero_one_fails(features_small, fraction):
    with pytest.raises(ValueError, match="holdout_fraction"):
        _split(features_small, holdout_fraction=fraction)
