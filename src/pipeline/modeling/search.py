"""Optional hyperparameter search inside one experiment (randomized, cross-validated).

For users who prefer one run that tries many settings over a sweep of experiments. The space
per model lives in conf/search/; the best params and every candidate's score are reported.
"""

from __future__ import annotations

import math
from collections.abc import Mapping

import pandas as pd
from sklearn.model_selection import KFold, RandomizedSearchCV, StratifiedKFold
from sklearn.pipeline import Pipeline

from pipeline import progress
from pipeline.errors import ConfigError


def random_search(
    pipeline: Pipeline,
    frame: pd.DataFrame,
    columns: list[str],
    target: str,
    *,
    space: Mapping[str, list],
    n_iter: int,
    cv: int,
    scoring: str,
    seed: int,
    stratified: bool = True,
    n_jobs: int = 1,
) -> tuple[Pipeline, dict]:
    """Try up to `n_iter` settings from `space` with `cv`-fold CV; refit the best on all rows.

    Folds keep the share of each class when `stratified` (classification). With `n_jobs=-1`
    under joblib's Dask backend, the candidates' fits fan out over the cluster's workers.
    """
    known = pipeline.named_steps["estimator"].get_params()
    unknown = sorted(set(space) - set(known))
    if unknown:
        name = type(pipeline.named_steps["estimator"]).__name__
        raise ConfigError(f"search space: {unknown} are not params of {name}")
    grid = {f"estimator__{key}": list(values) for key, values in space.items()}
    candidates = min(n_iter, math.prod(len(values) for values in grid.values()))
    searcher = RandomizedSearchCV(
        pipeline,
        grid,
        n_iter=candidates,
        scoring=scoring,
        cv=(StratifiedKFold if stratified else KFold)(cv, shuffle=True, random_state=seed),
        random_state=seed,
        refit=True,
        n_jobs=n_jobs,
        verbose=2 if progress.interactive() else 0,  # a line per fit, on a terminal only
    )
    searcher.fit(frame[columns], frame[target])
    results = searcher.cv_results_
    tried = [
        {
            "params": {key.removeprefix("estimator__"): value for key, value in params.items()},
            "mean": round(float(mean), 6),
            "std": round(float(std), 6),
        }
        for params, mean, std in zip(
            results["params"], results["mean_test_score"], results["std_test_score"], strict=True
        )
    ]
    best = {key.removeprefix("estimator__"): value for key, value in searcher.best_params_.items()}
    report = {
        "method": "random",
        "scoring": scoring,
        "cv_folds": cv,
        "candidates": candidates,
        "best_score": round(float(searcher.best_score_), 6),
        "best_params": best,
        "tried": sorted(tried, key=lambda entry: -entry["mean"]),
    }
    return searcher.best_estimator_, report
