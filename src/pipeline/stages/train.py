"""Stage train: fit the configured sklearn pipeline on the raw input columns; save it (skops)."""

import time
from pathlib import Path

import pandas as pd
from omegaconf import DictConfig

from pipeline.config import SearchMethod
from pipeline.contracts.apply import enforce
from pipeline.contracts.dataset import load_contracts, model_input
from pipeline.errors import ConfigError
from pipeline.io import write_json
from pipeline.modeling import estimators, model_file
from pipeline.modeling.inputs import input_columns
from pipeline.stages.common import run_stage


def main(params: DictConfig) -> str:
    dataset = params.dataset
    train = pd.read_parquet(params.paths.train)
    categorical, numeric = list(dataset.features.categorical), list(dataset.features.numeric)
    inputs = input_columns(categorical, numeric, dataset.derived)
    report_file = Path(params.paths.validation) / "train.json"
    schema = model_input(load_contracts(dataset).features, inputs)
    _, report = enforce([(schema, train, params.paths.train)], report_file)
    pipeline = estimators.build_pipeline(
        params.model, categorical, numeric, params.seed, dataset.derived, dataset.task
    )
    started = time.perf_counter()
    if params.search.method == SearchMethod.none:
        estimators.fit(pipeline, train, inputs, dataset.target)
        searched = {"method": "none"}
    else:
        pipeline, searched = search_space(params, pipeline, train, inputs)
        estimators.fit_done(pipeline)
    fit_seconds = time.perf_counter() - started
    model_file.save(pipeline, params.paths.model)
    write_json(searched, params.paths.search)
    write_json(report, report_file)
    found = f", best of {searched['candidates']} by search" if "candidates" in searched else ""
    return f"{params.model.name} fitted on {len(train):,} rows in {fit_seconds:.1f}s{found}"


def search_space(params: DictConfig, pipeline, train: pd.DataFrame, columns: list[str]):
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
        stratified=task.name == "classification",
    )


if __name__ == "__main__":
    run_stage("train", main)
