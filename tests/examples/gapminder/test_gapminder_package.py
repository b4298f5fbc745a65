"""The second example's reader: Gapminder's country-years from the pinned package, offline."""

from __future__ import annotations

import pytest
from helpers import compose

from pipeline.errors import ConfigError
from pipeline.examples.gapminder.package import read_years

YEARS = [str(year) for year in range(1964, 2014)]


def test_every_country_year_comes_with_its_region():
    table = read_years(YEARS)["gapminder"]
    assert len(table) == 244 * 50
    assert table.groupby("year")["country"].nunique().eq(244).all()
    assert table["region"].notna().all() and table["region"].nunique() == 6
    assert list(table.columns) == [
        "country",
        "year",
        "fertility",
        "life_expectancy",
        "population",
        "region",
    ]


def test_later_years_really_drift():
    table = read_years(YEARS)["gapminder"]
    mean = table.groupby("year")["life_expectancy"].mean()
    assert mean[2013] - mean[1964] > 10  # years of life gained over the half century
    fertility = table.groupby("year")["fertility"].mean()
    assert fertility[2013] < fertility[1964] - 2  # children per woman


def test_a_year_outside_the_data_is_refused():
    with pytest.raises(ConfigError, match=r"years \['1960'\] are not in the Gapminder data"):
        read_years(["1960", "1964"])


def test_the_dataset_reads_every_year_of_the_package():
    params = compose("dataset=gapminder", "source=example", example=True)
    assert list(params.source.batches) == YEARS
    assert params.source.reader == "pipeline.examples.gapminder.package.read_years"
    assert params.dataset.task == "regression"
