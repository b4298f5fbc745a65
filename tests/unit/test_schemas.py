"""Contracts accept the real data and report every broken rule at once, readably."""

from __future__ import annotations

import pandas as pd
import pytest

from pipeline.errors import ContractError
from pipeline.schemas import RAW_FLIGHTS, RAW_WEATHER, check


def test_real_raw_tables_satisfy_their_contracts(raw_small):
    flights, weather = raw_small
    assert check(RAW_FLIGHTS, flights, "flights")["valid"]
    assert check(RAW_WEATHER, weather, "weather")["valid"]


def test_every_broken_rule_is_reported_with_column_rule_count_and_examples(raw_small):
    flights = raw_small[0].head(1000).copy()
    flights.loc[0:2, "origin"] = "XYZ"  # unknown category, 3 rows
    flights.loc[10, "sched_dep_time"] = 1275  # not a clock time
    flights.loc[11, "hour"] = 3  # disagrees with sched_dep_time
    with pytest.raises(ContractError) as error:
        check(RAW_FLIGHTS, flights, "data/raw/flights.parquet")
    failures = {(f["column"], f["rule"]): f for f in error.value.report["failures"]}
    origin = next(f for (column, _), f in failures.items() if column == "origin")
    assert origin["failing_rows"] == 3 and origin["examples"] == ["XYZ"]
    assert failures["sched_dep_time", "HHMM clock time"]["examples"] == ["1275"]
    across = failures["hour, sched_dep_time", "hour == sched_dep_time // 100"]
    assert across["failing_rows"] == 2
    assert "row 11: hour=3, sched_dep_time=" in across["examples"][1]
    message = str(error.value)
    assert message.startswith("data/raw/flights.parquet:")
    assert "'origin'" in message and "isin" in message
    assert "hour == sched_dep_time // 100" in message


def test_a_missing_column_is_named(raw_small):
    with pytest.raises(ContractError, match="distance"):
        check(RAW_FLIGHTS, raw_small[0].drop(columns="distance").head(100), "flights")


def test_duplicated_flight_keys_are_rejected(raw_small):
    flights = raw_small[0].head(100)
    doubled = pd.concat([flights, flights.iloc[[5]]], ignore_index=True)
    with pytest.raises(ContractError, match="uniqueness") as error:
        check(RAW_FLIGHTS, doubled, "flights")
    (failure,) = error.value.report["failures"]
    assert failure["failing_rows"] == 2
    assert "flight" in failure["column"] and "carrier" in failure["column"]
