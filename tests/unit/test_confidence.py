"""The paired bootstrap and McNemar's test behind the champion check (modeling/confidence.py)."""

from __future__ import annotations

import numpy as np
import pytest
from sklearn.metrics import roc_auc_score

from pipeline.modeling.confidence import mcnemar, paired_bootstrap, weighted_roc_auc
from pipeline.modeling.tasks import CLASSIFICATION, MULTICLASS, REGRESSION


@pytest.fixture(scope="module")
def scored():
    """2,000 labelled rows and two models' scores: one informative, one a little less."""
    rng = np.random.default_rng(3)
    labels = rng.integers(0, 2, 2000)
    good = labels * 0.6 + rng.random(2000)
    worse = labels * 0.4 + rng.random(2000)
    return labels, good, worse


def test_weighted_roc_auc_is_scikit_learns_on_the_rows_the_weights_repeat(scored):
    labels, good, _ = scored
    ones = np.ones((1, len(labels)))
    assert weighted_roc_auc(labels, good, ones)[0] == pytest.approx(roc_auc_score(labels, good))
    # Weights 0..3 are a resample: the same as scoring each row that many times. Tied scores
    # (rounded) count half, as in scikit-learn.
    rounded = np.round(good, 1)
    weights = np.random.default_rng(0).integers(0, 4, len(labels))
    repeated = np.repeat(np.arange(len(labels)), weights)
    expected = roc_auc_score(labels[repeated], rounded[repeated])
    assert weighted_roc_auc(labels, rounded, weights[None, :].astype(float))[0] == pytest.approx(
        expected
    )


def test_the_interval_holds_the_estimate_and_shows_the_worse_model_worse(scored):
    labels, good, worse = scored
    sure = paired_bootstrap(CLASSIFICATION, labels, good, worse, threshold=0.5, seed=1)
    drop = roc_auc_score(labels, good) - roc_auc_score(labels, worse)
    assert sure.worse_by.estimate == pytest.approx(drop, abs=1e-6)
    assert sure.difference.estimate == pytest.approx(-drop, abs=1e-6)
    assert 0 < sure.worse_by.low < sure.worse_by.estimate < sure.worse_by.high
    assert sure.rows == 2000 and sure.resamples == 1000 and sure.level == 0.95
    # Seeded: the same interval again; another seed moves it only a little.
    again = paired_bootstrap(CLASSIFICATION, labels, good, worse, threshold=0.5, seed=1)
    assert again == sure
    other = paired_bootstrap(CLASSIFICATION, labels, good, worse, threshold=0.5, seed=2)
    assert other.worse_by.low == pytest.approx(sure.worse_by.low, abs=0.01)


def test_the_same_model_twice_differs_by_exactly_nothing(scored):
    """Paired: both models are scored on the same resampled rows, so a model against itself
    differs by zero in every resample (unpaired resamples would spread around zero)."""
    labels, good, _ = scored
    sure = paired_bootstrap(CLASSIFICATION, labels, good, good.copy(), threshold=0.5, seed=1)
    assert (sure.worse_by.low, sure.worse_by.high) == (0, 0)


def test_mcnemar_counts_the_rows_only_one_model_gets_right():
    labels = np.array([1, 1, 1, 1, 0, 0, 0, 0, 1, 0])
    champion = np.array([0.9, 0.9, 0.9, 0.2, 0.1, 0.1, 0.8, 0.1, 0.9, 0.1])
    challenger = np.array([0.9, 0.9, 0.2, 0.2, 0.1, 0.1, 0.1, 0.8, 0.9, 0.1])
    found = mcnemar(CLASSIFICATION, labels, champion, challenger, threshold=0.5)
    # Row 2: only the champion; row 6: only the challenger; row 7: only the champion.
    assert found["champion_only"] == 2 and found["challenger_only"] == 1
    assert found["p_value"] == pytest.approx(1.0)


def test_regression_is_judged_by_the_relative_rmse_rise():
    rng = np.random.default_rng(0)
    labels = rng.normal(size=3000)
    close, far = labels + rng.normal(scale=0.5, size=3000), labels + rng.normal(size=3000)
    sure = paired_bootstrap(REGRESSION, labels, close, far, threshold=0.5, seed=1)
    rmse = lambda output: np.sqrt(np.mean((output - labels) ** 2))  # noqa: E731
    assert sure.worse_by.estimate == pytest.approx(rmse(far) / rmse(close) - 1, abs=1e-6)
    assert sure.worse_by.low > 0.5 and sure.worse_by_unit == "relative RMSE rise"
    assert sure.mcnemar is None


def test_multiclass_uses_the_one_vs_rest_roc_auc():
    rng = np.random.default_rng(0)
    labels = rng.integers(0, 3, 900)
    scores = rng.random((900, 3)) + np.eye(3)[labels] * 0.5
    scores /= scores.sum(axis=1, keepdims=True)
    flat = np.full((900, 3), 1 / 3)
    sure = paired_bootstrap(MULTICLASS, labels, scores, flat, threshold=0.5, seed=1)
    expected = roc_auc_score(labels, scores, multi_class="ovr") - 0.5
    assert sure.worse_by.estimate == pytest.approx(expected, abs=1e-6)


def test_no_interval_without_labels_or_with_one_class():
    labels = np.array([np.nan] * 5)
    scores = np.linspace(0, 1, 5)
    assert paired_bootstrap(CLASSIFICATION, labels, scores, scores, threshold=0.5, seed=1) is None
    one_class = np.ones(5)
    assert (
        paired_bootstrap(CLASSIFICATION, one_class, scores, scores, threshold=0.5, seed=1) is None
    )
