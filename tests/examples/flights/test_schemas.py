"""The example's contracts accept every real row and reject broken ones."""

from __future__ import annotations

import pandas as pd
import pytest

from pipeline.contracts.apply import check
from pipeline.contracts.dataset import load_contracts
from pipeline.examples.flights.package import read_months
from pipeline.examples.flights.schemas import (
    CONTRACTS,
    FEATURES,
    FLIGHT_KEY,
    INTERIM_WEATHER,
    MAX_WIND_SPEED,
    RAW_FLIGHTS,
    RAW_WEATHER,
)


def failures_of(schema, frame, **options) -> dict[tuple[str, str], dict]:
    _, report = check(schema, frame, "table", **options)
    return {(f["column"], f["rule"]): f for f in report["failures"]}


def test_the_config_names_these_contracts(example_params):
    assert load_contracts(example_params.dataset) is CONTRACTS
    assert CONTRACTS.raw == {"flights": RAW_FLIGHTS, "weather": RAW_WEATHER}
    assert CONTRACTS.interim["weather"] is INTERIM_WEATHER


def test_every_real_month_satisfies_the_raw_contracts():
    """A contract that rejects real, correct rows is a bug: all twelve months must pass."""
    tables = read_months([f"2013-{month:02d}" for month in range(1, 13)])
    flights, weather = tables["flights"], tables["weather"]
    assert len(flights) == 336_776
    assert failures_of(RAW_FLIGHTS, flights) == {}
    assert failures_of(RAW_WEATHER, weather) == {}
    # The one impossible wind reading of the year is the only thing validate has to mask.
    broken = failures_of(INTERIM_WEATHER, weather)
    assert list(broken) == [("wind_speed", f"in_range(0, {MAX_WIND_SPEED})")]
    assert broken["wind_speed", f"in_range(0, {MAX_WIND_SPEED})"]["failing_rows"] == 1


def test_broken_flights_are_rejected_by_rule_with_their_batch(raw_small):
    flights = raw_small["flights"].head(1000).copy()
    flights.loc[0:2, "origin"] = "XYZ"  # unknown airport, 3 rows
    flights.loc[10, "sched_dep_time"] = 1275  # not a clock time
    flights.loc[11, "hour"] = 3  # disagrees with sched_dep_time
    flights.loc[12, "carrier"] = "united"  # not a two-character code
    failures = failures_of(RAW_FLIGHTS, flights)
    origin = next(f for (column, _), f in failures.items() if column == "origin")
    assert origin["failing_rows"] == 3 and origin["examples"] == ["XYZ"]
    assert origin["batches"] == ["2013-01"]
    assert failures["sched_dep_time", "HHMM clock time"]["examples"] == ["1275"]
    across = failures["hour, sched_dep_time", "hour == sched_dep_time // 100"]
    assert across["failing_rows"] == 2  # row 10's hour no longer agrees either
    assert "row 11: hour=3, sched_dep_time=" in across["examples"][1]
    assert failures["carrier", "str_matches('^[A-Z0-9]{2}$')"]["examples"] == ["united"]


def test_a_batch_id_that_disagrees_with_the_date_is_rejected(raw_small):
    flights = raw_small["flights"].head(100).copy()
    flights.loc[4, "batch"] = "2013-02"
    (failure,) = failures_of(RAW_FLIGHTS, flights).values()
    assert failure["rule"] == "batch == year-month as YYYY-MM"
    assert failure["examples"] == ["row 4: batch=2013-02, year=2013, month=1"]


def test_duplicated_flight_keys_are_rejected(raw_small):
    flights = raw_small["flights"].head(100)
    doubled = pd.concat([flights, flights.iloc[[5]]], ignore_index=True)
    (failure,) = failures_of(RAW_FLIGHTS, doubled).values()
    assert failure["rule"].startswith("multiple_fields_uniqueness")
    assert failure["failing_rows"] == 2
    assert all(column in failure["column"] for column in FLIGHT_KEY)


def test_weather_out_of_physical_range_is_rejected(raw_small):
    weather = raw_small["weather"].head(100).copy()
    weather.loc[0, "pressure"] = 200.0
    weather.loc[1, "precip"] = 30.0  # raw data allows it; the interim contract does not
    assert list(failures_of(RAW_WEATHER, weather)) == [("pressure", "in_range(850, 1100)")]
    failures = failures_of(INTERIM_WEATHER, weather)
    assert set(failures) == {("pressure", "in_range(850, 1100)"), ("precip", "in_range(0, 20)")}
    assert failures["precip", "in_range(0, 20)"]["examples"] == ["30.0"]


def test_real_features_satisfy_their_contract(features_small):
    checked, report = check(FEATURES, features_small, "features")
    assert report["valid"] and report["rows"] == len(features_small)
    assert checked["is_late"].dtype == "int64"  # 1.0 from the join, 1 in the contract


@pytest.mark.parametrize("column", ["dep_delay", "arr_delay"])
def test_the_features_contract_refuses_a_column_observed_after_departure(features_small, column):
    leaky = features_small.head(100).assign(**{column: 1.0})
    assert (column, "column_in_schema") in failures_of(FEATURES, leaky)
