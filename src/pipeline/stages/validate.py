"""Stage validate: check the raw tables against their contracts; write the interim tables."""

from pathlib import Path

import pandas as pd
from omegaconf import DictConfig

from pipeline import schemas
from pipeline.cleaning import mask_impossible_readings
from pipeline.errors import ContractError
from pipeline.io import write_json, write_parquet
from pipeline.stages.common import run_stage


def main(params: DictConfig) -> str:
    paths = params.paths
    report_file = Path(paths.validation) / "validate.json"
    flights = pd.read_parquet(paths.raw_flights)
    weather = pd.read_parquet(paths.raw_weather)
    try:
        flights_report = schemas.check(schemas.RAW_FLIGHTS, flights, paths.raw_flights)
        weather_report = schemas.check(schemas.RAW_WEATHER, weather, paths.raw_weather)
        weather, masked = mask_impossible_readings(weather)
        schemas.check(schemas.INTERIM_WEATHER, weather, paths.interim_weather)
    except ContractError as error:
        write_json({"valid": False, "tables": [error.report]}, report_file)
        raise
    write_parquet(flights, paths.interim_flights)
    write_parquet(weather, paths.interim_weather)
    write_json(
        {
            "valid": True,
            "tables": [flights_report, weather_report],
            "flights_rows": len(flights),
            "weather_rows": len(weather),
            "weather_readings_masked": masked,
        },
        report_file,
    )
    return (
        f"{len(flights):,} flights and {len(weather):,} weather rows valid; "
        f"{masked} impossible reading(s) masked"
    )


if __name__ == "__main__":
    run_stage("validate", main)
