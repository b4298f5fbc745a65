"""Stage validate: hold the raw tables to their contracts; write the interim tables."""

import json
from pathlib import Path

import pandas as pd
from omegaconf import DictConfig

from pipeline.config import ExtraColumns
from pipeline.contracts import apply as contracts
from pipeline.examples.flights import schemas
from pipeline.examples.flights.cleaning import mask_impossible_readings
from pipeline.io import write_json, write_parquet
from pipeline.stages.common import run_stage


def main(params: DictConfig) -> str:
    paths = params.paths
    report_file = Path(paths.validation) / "validate.json"
    flights = pd.read_parquet(paths.raw_flights)
    weather = pd.read_parquet(paths.raw_weather)
    (flights, weather), report = contracts.enforce(
        [
            (schemas.RAW_FLIGHTS, flights, paths.raw_flights),
            (schemas.RAW_WEATHER, weather, paths.raw_weather),
        ],
        report_file,
        drop_extra_columns=params.contract.extra_columns == ExtraColumns.drop,
        origins=batch_origins(Path(paths.validation) / "ingest.json"),
    )
    weather, masked = mask_impossible_readings(weather)
    (weather,), _ = contracts.enforce(
        [(schemas.INTERIM_WEATHER, weather, paths.interim_weather)], report_file
    )
    write_parquet(flights, paths.interim_flights)
    write_parquet(weather, paths.interim_weather)
    write_json(report | {"weather_readings_masked": masked}, report_file)
    dropped = sorted({c for table in report["tables"] for c in table.get("dropped_columns", [])})
    return (
        f"{len(flights):,} flights and {len(weather):,} weather rows valid; "
        f"{masked} impossible reading(s) masked"
        + (f"; unknown column(s) {dropped} dropped" if dropped else "")
    )


def batch_origins(ingest_report: Path) -> dict[str, str]:
    """Which file or database each batch came from, so a failure can name it."""
    if not ingest_report.exists():
        return {}
    batches = json.loads(ingest_report.read_text()).get("batches", [])
    return {entry["batch"]: entry["origin"] for entry in batches if entry.get("origin")}


if __name__ == "__main__":
    run_stage("validate", main)
