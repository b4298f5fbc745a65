"""The optional search inside train: it tries the space, reports every score, keeps the best.

On the fixture's features, with its derived column computed inside the searched pipeline.
"""

from __future__ import annotations

import pytest
from omegaconf import OmegaConf

from pipeline.config import HistGradientBoostingConfig
from pipeline.errors import ConfigError
from pipeline.modeling.derived import input_columns
from pipeline.modeling.estimators import build_pipeline
from pipeline.modeling.search import random_search

CATEGORICAL = ["region", "plan"]
NUMERIC = ["tenure_months", "support_calls", "signup_hour"]
TARGET = "churned"


@pytest.fixture
def small_train(shop_features):
    return shop_features[shop_features["batch"] < "2024"]


@pytest.fixture
def derived(shop_params):
    return shop_params.dataset.derived


def gbm(derived):
    config = OmegaConf.structured(HistGradientBoostingConfig(max_iter=20))
    return build_pipeline(config, CATEGORICAL, NUMERIC, seed=1, derived=derived)


def test_the_search_scores_every_candidate_and_refits_the_best(small_train, derived):
    inputs = input_columns(CATEGORICAL, NUMERIC, derived)
    assert "signup_hhmm" in inputs and "signup_hour" not in inputs
    space = {"learning_rate": [0.05, 0.3], "max_leaf_nodes": [7, 31]}
    fitted, report = random_search(
        gbm(derived), small_train, inputs, TARGET,
        space=space, n_iter=10, cv=2, scoring="roc_auc", seed=1,
    )  # fmt: skip
    assert report["candidates"] == 4  # n_iter is capped at the size of the space
    assert len(report["tried"]) == 4
    assert report["best_score"] == max(entry["mean"] for entry in report["tried"])
    assert report["tried"][0]["params"] == report["best_params"]
    estimator = fitted.named_steps["estimator"]
    assert estimator.learning_rate == report["best_params"]["learning_rate"]
    assert estimator.max_leaf_nodes == report["best_params"]["max_leaf_nodes"]
    assert list(fitted.feature_names_in_) == inputs  # the refit model takes the raw columns
    scores = fitted.predict_proba(small_train[inputs])[:, 1]
    assert scores.min() > 0 and scores.max() < 1


def test_a_space_key_the_model_lacks_is_named(small_train, derived):
    with pytest.raises(ConfigError, match=r"\['max_depthh'\] are not params"):
        random_search(
            gbm(derived), small_train, input_columns(CATEGORICAL, NUMERIC, derived), TARGET,
            space={"max_depthh": [2]}, n_iter=2, cv=2, scoring="roc_auc", seed=1,
        )  # fmt: skip
