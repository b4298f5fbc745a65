"""Fit the configured model on the training table: in memory, or on the table's parts.

On the Dask engine a model that learns from parts (estimators.LEARN_FROM_PARTS) trains where
the parts are, without a search; every other fit reads the table whole, and a search's
cross-validated fits run on the cluster's workers when there is one.
"""

from __future__ import annotations

from dataclasses import dataclass

import pandas as pd
from omegaconf import DictConfig

from pipeline.config import SearchMethod
from pipeline.engine.runner import Runner
from pipeline.errors import ConfigError, PipelineError
from pipeline.modeling import estimators
from pipeline.modeling.derived import plain
from pipeline.modeling.left_out import described, left_out, seen


@dataclass(frozen=True)
class Fitted:
    pipeline: object  # the sklearn pipeline, fitted
    rows: int
    left: dict[str, str]  # feature -> why the training rows could not teach it
    searched: dict  # the search's report, or {"method": "none"}
    where: str = ""  # where it was fitted, for the stage's summary: "" here, " on the ..."


def fit_model(runner: Runner, params: DictConfig, inputs: list[str]) -> Fitted:
    """The model `params` configures, fitted on `params.paths.train`."""
    dataset, table = params.dataset, params.paths.train
    features = [*dataset.features.categorical, *dataset.features.numeric]
    searching = params.search.method != SearchMethod.none
    if runner.partitioned and params.model.name in estimators.LEARN_FROM_PARTS and not searching:
        from pipeline.modeling.on_cluster import fit_on_cluster, seen_on_cluster

        left = left_out(seen_on_cluster(table, inputs, plain(dataset.derived), features))
        pipeline, rows = fit_on_cluster(build(params, left), table, inputs, dataset.target)
        estimators.fit_done(pipeline)
        searched = {"method": "none", "trained_on": "dask"}
        return Fitted(pipeline, rows, left, searched, where=" on the Dask cluster")
    train = pd.read_parquet(table)
    left = left_out(seen(estimators.model_features(train[inputs], dataset.derived), features))
    pipeline = build(params, left)
    if not searching:
        estimators.fit(pipeline, train, inputs, dataset.target)
        return Fitted(pipeline, len(train), left, {"method": "none"})
    with runner.joblib_backend():
        pipeline, searched = search(params, pipeline, train, inputs, runner.partitioned)
    estimators.fit_done(pipeline)
    return Fitted(pipeline, len(train), left, searched)


def build(params: DictConfig, left: dict[str, str]):
    """The configured pipeline without the features the training rows cannot teach."""
    dataset = params.dataset
    categorical, numeric = list(dataset.features.categorical), list(dataset.features.numeric)
    if len(left) == len(categorical) + len(numeric):
        raise PipelineError(
            f"{params.paths.train}: the model has no feature to learn from, every one is left "
            f"out: {described(left)}. Check the batches of the training window "
            "(data.train_window) and dataset.features"
        )
    return estimators.build_pipeline(
        params.model, categorical, numeric, params.seed, dataset.derived, dataset.task, left
    )


def search(params: DictConfig, pipeline, train: pd.DataFrame, columns: list[str], parallel: bool):
    """The configured random search; `parallel` spreads its fits over joblib's workers."""
    from pipeline.modeling.search import random_search
    from pipeline.modeling.tasks import task_info

    task = task_info(params.dataset.task)
    spaces = params.search.spaces
    if params.model.name not in spaces:
        raise ConfigError(f"search.spaces has no space for model {params.model.name!r}")
    return random_search(
        pipeline,
        train,
        columns,
        params.dataset.target,
        space={key: list(values) for key, values in spaces[params.model.name].items()},
        n_iter=params.search.n_iter,
        cv=params.search.cv,
        scoring=params.search.scoring or task.search_scoring,
        seed=params.seed,
        stratified=task.name != "regression",
        n_jobs=-1 if parallel else 1,
    )
