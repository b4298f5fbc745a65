"""Feature functions on the real data: no leakage, correct join, correct target."""

from __future__ import annotations

import pandas as pd
import pytest

from pipeline.contracts.apply import check
from pipeline.examples.flights.cleaning import mask_impossible_readings
from pipeline.examples.flights.features import TARGET, build_features, clock_hours
from pipeline.examples.flights.schemas import FEATURES, MAX_WIND_SPEED

LEAKY = ["dep_time", "dep_delay", "arr_time", "air_time", "arr_delay"]


def test_clock_hours_turns_hhmm_into_fractional_hours():
    hours = clock_hours(pd.Series([0, 5, 130, 1345, 2359, 2400]))
    assert hours.round(4).tolist() == [0.0, 0.0833, 1.5, 13.75, 23.9833, 24.0]


def test_no_column_observed_after_departure_reaches_the_features(features_small, feature_config):
    assert not set(LEAKY) & set(features_small.columns)
    used = set(feature_config.categorical) | set(feature_config.numeric)
    assert not set(LEAKY) & used
    assert used <= set(features_small.columns)


def test_target_is_arrival_more_than_threshold_minutes_late(raw_small):
    flights, weather = raw_small
    strict = build_features(flights, weather, late_after_minutes=15)
    lenient = build_features(flights, weather, late_after_minutes=60)
    labelled = flights[flights["arr_delay"].notna()]
    assert strict[TARGET].sum() == (labelled["arr_delay"] > 15).sum()
    assert lenient[TARGET].sum() == (labelled["arr_delay"] > 60).sum()


def test_unlabelled_flights_are_dropped_and_every_other_kept(raw_small, features_small):
    flights, _ = raw_small
    assert len(features_small) == flights["arr_delay"].notna().sum()


def test_weather_is_joined_at_the_scheduled_hour_of_the_origin(raw_small, features_small):
    flights, weather = raw_small
    labelled = flights[flights["arr_delay"].notna()].reset_index(drop=True)
    row = 1234
    expected = weather[
        (weather["origin"] == labelled.at[row, "origin"])
        & (weather["time_hour"] == labelled.at[row, "time_hour"])
    ]
    assert len(expected) == 1
    assert features_small.at[row, "temp"] == pytest.approx(expected["temp"].iat[0])
    # almost every flight has weather; the few hours the station missed stay missing
    assert features_small["temp"].notna().mean() > 0.99


def test_impossible_wind_speed_is_masked_and_counted(raw_small):
    _, weather = raw_small
    cleaned, masked = mask_impossible_readings(weather)
    assert masked == 1  # the known 1048 mph reading on 2013-02-12 at EWR
    assert cleaned["wind_speed"].max() <= MAX_WIND_SPEED
    assert weather["wind_speed"].max() > MAX_WIND_SPEED  # the input is left untouched


def test_real_features_satisfy_their_contract(features_small):
    _, report = check(FEATURES, features_small, "features")
    assert report["valid"] and report["rows"] == len(features_small)
