"""Stage train: fit the configured sklearn pipeline and save it with skops."""

import time
from pathlib import Path

import pandas as pd
from omegaconf import DictConfig

from pipeline import contracts, model, schemas
from pipeline.features import TARGET
from pipeline.io import write_json
from pipeline.stages.common import run_stage


def main(params: DictConfig) -> str:
    train = pd.read_parquet(params.paths.train)
    categorical, numeric = list(params.features.categorical), list(params.features.numeric)
    report_file = Path(params.paths.validation) / "train.json"
    _, report = contracts.enforce(
        [(schemas.model_input(categorical + numeric), train, params.paths.train)], report_file
    )
    pipeline = model.build_pipeline(params.model, categorical, numeric, params.seed)
    started = time.perf_counter()
    model.fit(pipeline, train, categorical + numeric, TARGET)
    fit_seconds = time.perf_counter() - started
    model.save(pipeline, params.paths.model)
    write_json(report, report_file)
    return f"{params.model.name} fitted on {len(train):,} rows in {fit_seconds:.1f}s"


if __name__ == "__main__":
    run_stage("train", main)
