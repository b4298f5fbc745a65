"""Stage train: fit the configured sklearn pipeline on the raw input columns; save it (skops).

A feature the training rows cannot teach (no values, or one value in every row) is left out
of this run's model; train.json names it and why, under "left_out" (modeling/left_out.py).
"""

import contextlib
import time
from pathlib import Path

import pandas as pd
from omegaconf import DictConfig

from pipeline.config import EngineName, SearchMethod
from pipeline.contracts.apply import conclude, enforce
from pipeline.contracts.dataset import load_contracts, model_input
from pipeline.contracts.partitioned import check_parts
from pipeline.engine.cluster import dask_client
from pipeline.errors import ConfigError, PipelineError
from pipeline.io import write_json
from pipeline.modeling import estimators, model_file
from pipeline.modeling.derived import plain
from pipeline.modeling.inputs import input_columns
from pipeline.modeling.left_out import LEFT_OUT, described, left_out, seen
from pipeline.stages.common import run_stage


def main(params: DictConfig) -> str:
    on_dask = params.engine.name == EngineName.dask
    with dask_client(params.engine) if on_dask else contextlib.nullcontext():
        return fit_and_save(params, on_dask)


def fit_and_save(params: DictConfig, on_dask: bool) -> str:
    dataset = params.dataset
    if str(dataset.task) == "multiclass" and not dataset.classes:
        raise ConfigError(
            "dataset.task=multiclass needs dataset.classes: the target's labels as they appear "
            "in the data, in the order the model numbers them (init writes them)"
        )
    categorical, numeric = list(dataset.features.categorical), list(dataset.features.numeric)
    features = [*categorical, *numeric]
    inputs = input_columns(categorical, numeric, dataset.derived)
    report_file = Path(params.paths.validation) / "train.json"
    schema = model_input(load_contracts(dataset).features, inputs)
    started = time.perf_counter()
    if on_dask and params.model.name == "xgboost" and params.search.method == SearchMethod.none:
        # Past memory: the table stays in partitions; XGBoost trains on them where they are.
        from pipeline.modeling.on_cluster import fit_on_cluster, seen_on_cluster

        table = check_parts(schema, params.paths.train, params.paths.train)
        report = conclude([table], report_file, None)
        derived = plain(dataset.derived)
        left = left_out(seen_on_cluster(params.paths.train, inputs, derived, features))
        pipeline = build(params, left)
        pipeline, rows = fit_on_cluster(pipeline, params.paths.train, inputs, dataset.target)
        estimators.fit_done(pipeline)
        searched = {"method": "none", "trained_on": "dask"}
    else:
        train = pd.read_parquet(params.paths.train)
        _, report = enforce([(schema, train, params.paths.train)], report_file)
        rows = len(train)
        left = left_out(seen(estimators.model_features(train[inputs], dataset.derived), features))
        pipeline = build(params, left)
        if params.search.method == SearchMethod.none:
            estimators.fit(pipeline, train, inputs, dataset.target)
            searched = {"method": "none"}
        else:
            pipeline, searched = search_space(params, pipeline, train, inputs, on_dask)
            estimators.fit_done(pipeline)
    fit_seconds = time.perf_counter() - started
    if dataset.classes is not None:  # the API answers the labels as they appear in the data
        pipeline.class_labels_ = list(dataset.classes)
    model_file.save(pipeline, params.paths.model)
    write_json(searched, params.paths.search)
    write_json(report | {LEFT_OUT: left}, report_file)
    found = f", best of {searched['candidates']} by search" if "candidates" in searched else ""
    where = " on the Dask cluster" if searched.get("trained_on") == "dask" else ""
    without = f"; left out {described(left)}" if left else ""
    return (
        f"{params.model.name} fitted on {rows:,} rows{where} in {fit_seconds:.1f}s{found}{without}"
    )


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


def search_space(params: DictConfig, pipeline, train: pd.DataFrame, columns: list[str], on_dask):
    import joblib

    from pipeline.modeling.search import random_search
    from pipeline.modeling.tasks import task_info

    task = task_info(params.dataset.task)
    spaces = params.search.spaces
    if params.model.name not in spaces:
        raise ConfigError(f"search.spaces has no space for model {params.model.name!r}")
    # On Dask, each candidate's cross-validated fits run on the cluster's workers.
    with joblib.parallel_backend("dask") if on_dask else contextlib.nullcontext():
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
            n_jobs=-1 if on_dask else 1,
        )


if __name__ == "__main__":
    run_stage("train", main)
