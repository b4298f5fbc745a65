"""Stage featurize: one model-ready row per labelled flight, with its weather."""

from pathlib import Path

import pandas as pd
from omegaconf import DictConfig

from pipeline.contracts import apply as contracts
from pipeline.examples.flights import schemas
from pipeline.examples.flights.features import TARGET, build_features
from pipeline.io import write_json, write_parquet
from pipeline.stages.common import run_stage


def main(params: DictConfig) -> str:
    flights = pd.read_parquet(params.paths.interim_flights)
    weather = pd.read_parquet(params.paths.interim_weather)
    features = build_features(flights, weather, params.features.late_after_minutes)
    report_file = Path(params.paths.validation) / "featurize.json"
    (features,), report = contracts.enforce(
        [(schemas.FEATURES, features, params.paths.features)], report_file
    )
    write_parquet(features, params.paths.features)
    dropped = len(flights) - len(features)
    write_json(report | {"unlabelled_dropped": dropped}, report_file)
    return (
        f"{len(features):,} rows ({dropped:,} cancelled or diverted dropped), "
        f"{features[TARGET].mean():.1%} late"
    )


if __name__ == "__main__":
    run_stage("featurize", main)
