"""Champion against challenger on the same rows, and the gate's check of the difference.

Real models fitted on the fixture's features: a worse challenger is one trained on a
shuffled target.
"""

from __future__ import annotations

import numpy as np
import pytest
from helpers import compose

from pipeline.modeling import estimators
from pipeline.modeling.comparison import COMPARED, NO_CHAMPION, NOT_COMPARABLE, compare
from pipeline.modeling.derived import input_columns
from pipeline.monitoring import gate

LIMITS = compose().dataset.gate


@pytest.fixture(scope="module")
def splits(shop_splits):
    return shop_splits


def fitted(splits, *, shuffle_target: bool = False, drop: str | None = None, task_model=None):
    cfg = compose("model=logistic_regression", "model.max_iter=300")
    dataset = cfg.dataset
    categorical, numeric = list(dataset.features.categorical), list(dataset.features.numeric)
    if drop:
        numeric = [column for column in numeric if column != drop]
    pipeline = estimators.build_pipeline(cfg.model, categorical, numeric, cfg.seed, dataset.derived)
    train = splits.train.copy()
    if shuffle_target:
        train[dataset.target] = np.random.default_rng(0).permutation(train[dataset.target])
    inputs = input_columns(categorical, numeric, dataset.derived)
    return estimators.fit(pipeline, train, inputs, dataset.target)


@pytest.fixture(scope="module")
def good(splits):
    return fitted(splits)


def frames_of(splits):
    return {"holdout": splits.holdout, "current": splits.current}


def run(champion, challenger, splits, reason=""):
    return compare(
        champion,
        challenger,
        frames_of(splits),
        target="churned",
        threshold=0.5,
        id_columns=["customer_id"],
        reason=reason,
    )


def test_a_worse_challenger_fails_the_check_naming_both_numbers(good, splits):
    worse = fitted(splits, shuffle_target=True)
    result, _ = run(good, worse, splits)
    assert result["status"] == COMPARED
    old = result["champion"]["current"]["roc_auc"]
    new = result["challenger"]["current"]["roc_auc"]
    assert old - new > 0.1  # a shuffled target learns nothing real
    check = gate.champion_check(result, LIMITS)
    assert not check.passed
    assert f"{old:.3f}" in check.describe() and f"{new:.3f}" in check.describe()
    assert check.value == pytest.approx(old - new)


def test_an_equal_challenger_passes_with_a_zero_difference(good, splits):
    result, _ = run(good, fitted(splits), splits)
    check = gate.champion_check(result, LIMITS)
    assert check.passed and check.value == 0
    assert all(value in (0, None) for value in result["difference"]["current"].values())


def test_no_champion_passes_and_says_so(good, splits):
    result, scores = run(None, good, splits, reason="nothing in prod and no base model")
    assert result["status"] == NO_CHAMPION
    assert result["champion"] == {} and "current" in result["challenger"]
    check = gate.champion_check(result, LIMITS)
    assert check.passed
    assert "no champion: nothing in prod and no base model" in check.describe()
    assert list(scores["current"].columns) == ["label", "challenger"]


def test_both_models_are_scored_on_exactly_the_challengers_rows(good, splits):
    champion = fitted(splits, shuffle_target=True)
    result, scores = run(champion, good, splits)
    for split, frame in frames_of(splits).items():
        assert result["rows"][split] == len(frame) == len(scores[split])
        assert result["challenger"][split]["rows"] == result["champion"][split]["rows"]
        assert (scores[split]["label"].to_numpy() == frame["churned"].to_numpy()).all()
    # The fingerprint follows the ids: other rows, or the same rows reordered, differ.
    again, _ = run(champion, good, splits)
    assert again["rows_digest"] == result["rows_digest"]
    reordered, _ = run(champion, good, splits._replace(current=splits.current.iloc[::-1]))
    assert reordered["rows_digest"]["current"] != result["rows_digest"]["current"]
    assert reordered["rows_digest"]["holdout"] == result["rows_digest"]["holdout"]


def test_a_champion_that_needs_a_missing_column_blocks_the_check(good, splits):
    frames = frames_of(splits)
    narrow = fitted(splits, drop="monthly_spend")
    for split in frames:
        frames[split] = frames[split].drop(columns="monthly_spend")
    result, _ = compare(
        good, narrow, frames, target="churned", threshold=0.5, id_columns=["customer_id"]
    )
    assert result["status"] == NOT_COMPARABLE
    assert "monthly_spend" in result["reason"]
    check = gate.champion_check(result, LIMITS)
    assert not check.passed
    assert "cannot be measured" in check.describe() and "monthly_spend" in check.describe()


def test_regression_compares_the_relative_rmse_rise():
    comparison = {
        "task": "regression",
        "status": COMPARED,
        "rows": {"current": 120},
        "champion": {"current": {"rmse": 2.0}},
        "challenger": {"current": {"rmse": 2.1}},
    }
    check = gate.champion_check(comparison, LIMITS)
    assert check.value == pytest.approx(0.05) and not check.passed
    assert "RMSE: champion 2.000, new model 2.100, on the same 120 rows" in check.describe()
    comparison["challenger"]["current"]["rmse"] = 2.02
    assert gate.champion_check(comparison, LIMITS).passed
