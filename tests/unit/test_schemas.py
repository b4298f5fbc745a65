"""Contracts accept the real data and report every broken rule at once, readably."""

from __future__ import annotations

import json

import pandas as pd
import pytest

from pipeline.contracts.apply import check, enforce
from pipeline.data.sources import read_example
from pipeline.errors import ConfigError, ContractError
from pipeline.examples.flights.schemas import (
    INTERIM_WEATHER,
    RAW_FLIGHTS,
    RAW_WEATHER,
    model_input,
    predictions,
)


def failures_of(schema, frame, **options) -> dict[tuple[str, str], dict]:
    _, report = check(schema, frame, "table", **options)
    return {(f["column"], f["rule"]): f for f in report["failures"]}


def test_every_real_month_satisfies_the_raw_contracts():
    """A contract that rejects real, correct rows is a bug: all twelve months must pass."""
    months = [f"2013-{month:02d}" for month in range(1, 13)]
    flights, weather = read_example(months)
    assert len(flights) == 336_776
    assert failures_of(RAW_FLIGHTS, flights) == {}
    assert failures_of(RAW_WEATHER, weather) == {}
    # The one impossible wind reading of the year is the only thing validate has to mask.
    broken = failures_of(INTERIM_WEATHER, weather)
    assert [f["failing_rows"] for f in broken.values()] == [1]


def test_every_broken_rule_is_reported_with_column_rule_count_and_examples(raw_small):
    flights = raw_small[0].head(1000).copy()
    flights.loc[0:2, "origin"] = "XYZ"  # unknown category, 3 rows
    flights.loc[10, "sched_dep_time"] = 1275  # not a clock time
    flights.loc[11, "hour"] = 3  # disagrees with sched_dep_time
    failures = failures_of(RAW_FLIGHTS, flights)
    origin = next(f for (column, _), f in failures.items() if column == "origin")
    assert origin["failing_rows"] == 3 and origin["examples"] == ["XYZ"]
    assert origin["batches"] == ["2013-01"]
    assert failures["sched_dep_time", "HHMM clock time"]["examples"] == ["1275"]
    across = failures["hour, sched_dep_time", "hour == sched_dep_time // 100"]
    assert across["failing_rows"] == 2
    assert "row 11: hour=3, sched_dep_time=" in across["examples"][1]


def test_enforce_checks_every_table_then_stops_with_a_summary_and_the_full_report(
    raw_small, tmp_path
):
    flights, weather = raw_small[0].head(500).copy(), raw_small[1].head(500).copy()
    flights.loc[0:9, "origin"] = "XYZ"
    weather.loc[5, "humid"] = 140.0
    report_file = tmp_path / "validate.json"
    with pytest.raises(ContractError) as error:
        enforce(
            [(RAW_FLIGHTS, flights, "data/raw/flights.parquet"), (RAW_WEATHER, weather, "w")],
            report_file,
            origins={"2013-01": "data/landing/flights/2013-01.csv"},
        )
    message = str(error.value)
    assert message.startswith("data/raw/flights.parquet: 1 rule(s) of the raw flights contract")
    assert "column 'origin', rule isin" in message and "10 row(s)" in message
    assert "in batch 2013-01 (data/landing/flights/2013-01.csv)" in message
    assert "w: 1 rule(s) of the raw weather contract" in message and "'humid'" in message
    report = json.loads(report_file.read_text())
    assert report["valid"] is False and report["failing_rules"] == 2
    assert report["rows"] == {"flights": 500, "w": 500}


def test_lossless_conversions_pass_and_lossy_ones_name_the_value(raw_small):
    flights = raw_small[0].head(100).copy()
    flights["distance"] = flights["distance"].astype(str)  # "1400" from a text file: fine
    converted, report = check(RAW_FLIGHTS, flights, "table")
    assert report["valid"] and converted["distance"].dtype == "int64"

    flights["distance"] = flights["distance"].astype(object)
    flights.loc[3, "distance"] = "abc"
    flights["flight"] = flights["flight"].astype(float)
    flights.loc[4, "flight"] = 1545.5  # an int column must not be truncated silently
    failures = failures_of(RAW_FLIGHTS, flights)
    assert failures["distance", "values are int64"]["examples"] == ["abc"]
    assert failures["flight", "values are int64"]["examples"] == ["1545.5"]
    assert set(failures) == {("distance", "values are int64"), ("flight", "values are int64")}


def test_nulls_where_forbidden_are_reported_once(raw_small):
    flights = raw_small[0].head(100).copy()
    flights.loc[[7, 8], "carrier"] = None
    flights["distance"] = flights["distance"].astype(float)
    flights.loc[9, "distance"] = None
    failures = failures_of(RAW_FLIGHTS, flights)
    assert set(failures) == {("carrier", "not_nullable"), ("distance", "not_nullable")}
    assert failures["carrier", "not_nullable"]["failing_rows"] == 2


def test_out_of_range_values_are_rejected(raw_small):
    weather = raw_small[1].head(100).copy()
    weather.loc[0, "pressure"] = 200.0
    failures = failures_of(RAW_WEATHER, weather)
    assert failures["pressure", "in_range(850, 1100)"]["examples"] == ["200.0"]


def test_a_missing_column_is_named(raw_small):
    failures = failures_of(RAW_FLIGHTS, raw_small[0].drop(columns="distance").head(100))
    assert ("distance", "column_in_dataframe") in failures


def test_an_extra_column_fails_or_is_dropped_by_policy(raw_small):
    flights = raw_small[0].head(100).assign(passenger_name="x")
    assert ("passenger_name", "column_in_schema") in failures_of(RAW_FLIGHTS, flights)
    kept, report = check(RAW_FLIGHTS, flights, "table", drop_extra_columns=True)
    assert report["valid"] and report["dropped_columns"] == ["passenger_name"]
    assert "passenger_name" not in kept.columns


def test_duplicated_flight_keys_are_rejected(raw_small):
    flights = raw_small[0].head(100)
    doubled = pd.concat([flights, flights.iloc[[5]]], ignore_index=True)
    (failure,) = failures_of(RAW_FLIGHTS, doubled).values()
    assert failure["rule"].startswith("multiple_fields_uniqueness")
    assert failure["failing_rows"] == 2
    assert "flight" in failure["column"] and "carrier" in failure["column"]


def test_model_input_names_an_unknown_feature_and_checks_the_rest(features_small):
    with pytest.raises(ConfigError, match="seat_pitch"):
        model_input(["carrier", "seat_pitch"])
    frame = features_small.head(100).copy()
    _, report = check(model_input(["carrier", "distance"]), frame, "train")
    assert report["valid"]  # other columns (batch, target) may ride along
    frame.loc[0, "distance"] = -1.0
    _, report = check(model_input(["carrier", "distance"]), frame, "train")
    assert [f["column"] for f in report["failures"]] == ["distance"]


def test_predictions_must_agree_with_the_threshold():
    scored = pd.DataFrame(
        {
            "batch": ["2013-06"] * 3,
            "split": ["current"] * 3,
            "is_late": [0, 1, 1],
            "probability": [0.2, 0.7, 0.55],
            "predicted": [0, 1, 0],  # 0.55 is above 0.5: predicted must be 1
        }
    )
    failures = failures_of(predictions(0.5), scored)
    (failure,) = failures.values()
    assert failure["rule"] == "predicted == (probability >= evaluate.threshold)"
    assert failure["failing_rows"] == 1
    assert failures_of(predictions(0.6), scored) == {}
