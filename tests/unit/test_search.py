"""The optional search inside train: it tries the space, reports every score, keeps the best."""

from __future__ import annotations

import pytest
from omegaconf import OmegaConf

from pipeline.config import HistGradientBoostingConfig
from pipeline.errors import ConfigError
from pipeline.examples.flights.features import CATEGORICAL, TARGET
from pipeline.modeling.estimators import build_pipeline
from pipeline.modeling.search import random_search

NUMERIC = ["sched_dep_hour", "distance", "temp", "visib"]


@pytest.fixture
def small_train(features_small):
    return features_small.sample(3000, random_state=0)


def gbm():
    config = OmegaConf.structured(HistGradientBoostingConfig(max_iter=20))
    return build_pipeline(config, CATEGORICAL, NUMERIC, seed=1)


def test_the_search_scores_every_candidate_and_refits_the_best(small_train):
    space = {"learning_rate": [0.05, 0.3], "max_leaf_nodes": [7, 31]}
    fitted, report = random_search(
        gbm(), small_train, CATEGORICAL + NUMERIC, TARGET,
        space=space, n_iter=10, cv=2, scoring="roc_auc", seed=1,
    )  # fmt: skip
    assert report["candidates"] == 4  # n_iter is capped at the size of the space
    assert len(report["tried"]) == 4
    assert report["best_score"] == max(entry["mean"] for entry in report["tried"])
    assert report["tried"][0]["params"] == report["best_params"]
    estimator = fitted.named_steps["estimator"]
    assert estimator.learning_rate == report["best_params"]["learning_rate"]
    scores = fitted.predict_proba(small_train[CATEGORICAL + NUMERIC])[:, 1]
    assert scores.min() > 0 and scores.max() < 1


def test_a_space_key_the_model_lacks_is_named(small_train):
    with pytest.raises(ConfigError, match=r"\['max_depthh'\] are not params"):
        random_search(
            gbm(), small_train, CATEGORICAL + NUMERIC, TARGET,
            space={"max_depthh": [2]}, n_iter=2, cv=2, scoring="roc_auc", seed=1,
        )  # fmt: skip
