"""The second example's source: Gapminder's country-years from the pinned bokeh-sampledata.

Fertility, life expectancy and population of 244 countries from 1964 to 2013 (CC BY 2.0,
Gapminder.org), with each country's region. One batch per year: later years really drift
(life expectancy rises about 0.3 years a year), so a model trained on the past underestimates
the newest year.
"""

from __future__ import annotations

import importlib.util
from pathlib import Path

import pandas as pd

from pipeline.errors import ConfigError

PACKAGE = "bokeh_sampledata"
TABLE = "gapminder"


def package_data_dir() -> Path:
    """The data folder of bokeh-sampledata, found without importing the package (its
    __init__ imports modules the example does not need)."""
    spec = importlib.util.find_spec(PACKAGE)
    if spec is None or spec.origin is None:
        raise ConfigError(f"the example data package {PACKAGE} is not installed: run `make setup`")
    return Path(spec.origin).parent / "_data"


def read_years(batches: list[str]) -> dict[str, pd.DataFrame]:
    """The country-years of the given years (the `dataset.package.reader` of gapminder)."""
    folder = package_data_dir()
    rows = pd.read_csv(folder / "gapminder.csv.gz")
    regions = pd.read_csv(folder / "gapminder_regions.csv").rename(
        columns={"Country": "country", "Group": "region"}
    )
    rows = rows.merge(regions[["country", "region"]], on="country", how="left", validate="m:1")
    years = rows["year"].astype(str)
    unknown = sorted(set(batches) - set(years))
    if unknown:
        raise ConfigError(f"years {unknown} are not in the Gapminder data (1964..2013)")
    chosen = rows[years.isin(batches)].sort_values(["year", "country"], kind="stable")
    return {TABLE: chosen.reset_index(drop=True)}
