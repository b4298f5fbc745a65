"""The example's join and label on real months: no leakage, the right hour's weather, the
right target, and the derived columns the model computes from the scheduled flight."""

from __future__ import annotations

import pandas as pd
import pytest

from pipeline.examples.flights.cleaning import mask_impossible_readings
from pipeline.examples.flights.features import TARGET, WEATHER_FEATURES, join_weather_and_label
from pipeline.examples.flights.schemas import MAX_WIND_SPEED
from pipeline.modeling.derived import input_columns
from pipeline.monitoring.evidently_reports import model_view

LEAKY = ["dep_time", "dep_delay", "arr_time", "air_time", "arr_delay"]


def model_inputs(dataset) -> list[str]:
    return input_columns(
        list(dataset.features.categorical), list(dataset.features.numeric), dataset.derived
    )


def test_no_column_observed_after_departure_reaches_the_model(example_params, features_small):
    dataset = example_params.dataset
    inputs = model_inputs(dataset)
    assert not set(LEAKY) & set(features_small.columns)
    assert not set(LEAKY) & (set(inputs) | set(dataset.features.numeric))
    assert set(inputs) <= set(features_small.columns)
    # The model reads the scheduled times and the date; the hours and weekday are derived.
    assert {"sched_dep_time", "sched_arr_time", "year", "month", "day"} <= set(inputs)
    assert not set(dataset.derived) & set(inputs)


def test_target_is_arrival_more_than_threshold_minutes_late(raw_small):
    strict = join_weather_and_label(raw_small, {"late_after_minutes": 15})
    lenient = join_weather_and_label(raw_small, {"late_after_minutes": 60})
    delay = raw_small["flights"]["arr_delay"]
    assert strict[TARGET].sum() == (delay > 15).sum()
    assert lenient[TARGET].sum() == (delay > 60).sum()
    # Cancelled or diverted flights have no arrival delay, so no label.
    assert strict[TARGET].isna().sum() == delay.isna().sum() > 0


def test_unlabelled_flights_are_dropped_and_every_other_kept(raw_small, features_small):
    assert len(features_small) == raw_small["flights"]["arr_delay"].notna().sum()
    assert set(features_small[TARGET].unique()) == {0, 1}


def test_weather_is_joined_at_the_scheduled_hour_of_the_origin(raw_small, features_small):
    flights, weather = raw_small["flights"], raw_small["weather"]
    assert len(join_weather_and_label(raw_small, {"late_after_minutes": 15})) == len(flights)
    labelled = flights[flights["arr_delay"].notna()].reset_index(drop=True)
    row = 1234
    expected = weather[
        (weather["origin"] == labelled.at[row, "origin"])
        & (weather["time_hour"] == labelled.at[row, "time_hour"])
    ]
    assert len(expected) == 1
    for column in WEATHER_FEATURES:
        assert features_small.at[row, column] == pytest.approx(expected[column].iat[0], nan_ok=True)
    # almost every flight has weather; the few hours the station missed stay missing
    assert features_small["temp"].notna().mean() > 0.99


def test_impossible_wind_speed_is_masked_and_counted(raw_small, example_params):
    cleaned, repairs = mask_impossible_readings(raw_small, example_params.dataset.options)
    assert repairs == {"weather_readings_masked": 1}  # the 1048 mph reading, 2013-02-12 at EWR
    assert cleaned["weather"]["wind_speed"].max() <= MAX_WIND_SPEED
    assert raw_small["weather"]["wind_speed"].max() > MAX_WIND_SPEED  # the input is untouched
    assert cleaned["flights"] is raw_small["flights"]


def test_the_derived_columns_are_the_scheduled_hours_and_the_weekday(
    example_params, features_small
):
    rows = features_small.head(500)
    view = model_view(rows[model_inputs(example_params.dataset)], example_params.dataset.derived)
    hhmm = rows["sched_dep_time"]
    assert view["sched_dep_hour"].tolist() == (hhmm // 100 + hhmm % 100 / 60).tolist()
    assert view["sched_arr_hour"].between(0, 24).all()
    dates = pd.to_datetime(rows[["year", "month", "day"]])
    assert view["day_of_week"].tolist() == dates.dt.dayofweek.astype(float).tolist()
    assert view["day_of_week"].iat[0] == 1.0  # 1 January 2013 was a Tuesday
    assert set(example_params.dataset.features.numeric) <= set(view.columns)
