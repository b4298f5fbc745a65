"""Data contracts at every stage boundary (pandera): what each table must look like.

Every rule here was checked against the real example data: a contract that rejects real,
correct rows is a bug. `pipeline.contracts` applies them and reports what broke.
"""

from __future__ import annotations

import pandas as pd
import pandera.pandas as pa

from pipeline.contracts.apply import row_rule
from pipeline.contracts.dataset import DatasetContracts
from pipeline.examples.flights.features import WEATHER_FEATURES, WEATHER_KEY

BATCH_PATTERN = r"^\d{4}-\d{2}$"
ORIGINS = ["EWR", "JFK", "LGA"]
FLIGHT_KEY = ["year", "month", "day", "carrier", "flight", "origin", "sched_dep_time"]
UTC_HOUR_PATTERN = r"^\d{4}-\d{2}-\d{2}T\d{2}:00:00Z$"
# Physically possible wind speeds (mph); validate masks readings above this as missing.
MAX_WIND_SPEED = 250.0
MAX_DISTANCE = 12_450  # miles


def is_clock_time(hhmm: pd.Series) -> pd.Series:
    """HHMM clock times: 0..2359 with minutes below 60 (2400 is midnight in the source)."""
    return hhmm.isna() | ((hhmm >= 0) & (hhmm <= 2400) & (hhmm % 100 < 60))


def clock_column(nullable: bool) -> pa.Column:
    check = pa.Check(is_clock_time, name="is_hhmm_clock_time", error="HHMM clock time")
    # The range alone is what a JSON schema can say: the prediction API's limits.
    clock = [pa.Check.in_range(0, 2400), check]
    return pa.Column(float if nullable else int, clock, nullable=nullable)


# The scheduled date, in flights and in weather readings alike.
DATE_COLUMNS = {
    "year": pa.Column(int, pa.Check.in_range(1900, 2100)),
    "month": pa.Column(int, pa.Check.in_range(1, 12)),
    "day": pa.Column(int, pa.Check.in_range(1, 31)),
}

RAW_FLIGHTS = pa.DataFrameSchema(
    name="raw flights",
    columns={
        "batch": pa.Column(str, pa.Check.str_matches(BATCH_PATTERN)),
        **DATE_COLUMNS,
        "dep_time": clock_column(nullable=True),
        "sched_dep_time": clock_column(nullable=False),
        "dep_delay": pa.Column(float, nullable=True),
        "arr_time": clock_column(nullable=True),
        "sched_arr_time": clock_column(nullable=False),
        "arr_delay": pa.Column(float, nullable=True),
        "carrier": pa.Column(str, pa.Check.str_matches(r"^[A-Z0-9]{2}$")),
        "flight": pa.Column(int, pa.Check.gt(0)),
        # An aircraft identifier: privacy may hash it or drop it.
        "tailnum": pa.Column(str, nullable=True, required=False),
        "origin": pa.Column(str, pa.Check.isin(ORIGINS)),
        "dest": pa.Column(str, pa.Check.str_matches(r"^[A-Z]{3}$")),
        "air_time": pa.Column(float, pa.Check.gt(0), nullable=True),
        # Half the earth's circumference: no flight is longer (the longest here is 4,983).
        "distance": pa.Column(int, pa.Check.in_range(0, MAX_DISTANCE, include_min=False)),
        "hour": pa.Column(int, pa.Check.in_range(0, 23)),
        "minute": pa.Column(int, pa.Check.in_range(0, 59)),
        "time_hour": pa.Column(str, pa.Check.str_matches(UTC_HOUR_PATTERN)),
    },
    checks=[
        row_rule(
            ["hour", "sched_dep_time"],
            lambda df: df["hour"] == df["sched_dep_time"] // 100,
            "hour == sched_dep_time // 100",
        ),
        row_rule(
            ["minute", "sched_dep_time"],
            lambda df: df["minute"] == df["sched_dep_time"] % 100,
            "minute == sched_dep_time % 100",
        ),
        row_rule(
            ["batch", "year", "month"],
            lambda df: (
                df["batch"] == df["year"].astype(str) + "-" + df["month"].map("{:02d}".format)
            ),
            "batch == year-month as YYYY-MM",
        ),
    ],
    unique=FLIGHT_KEY,
    strict=True,
)

RAW_WEATHER = pa.DataFrameSchema(
    name="raw weather",
    columns={
        "origin": pa.Column(str, pa.Check.isin(ORIGINS)),
        **DATE_COLUMNS,
        "hour": pa.Column(int, pa.Check.in_range(0, 23)),
        "temp": pa.Column(float, pa.Check.in_range(-60, 130), nullable=True),  # Fahrenheit
        "dewp": pa.Column(float, pa.Check.in_range(-80, 100), nullable=True),
        "humid": pa.Column(float, pa.Check.in_range(0, 100), nullable=True),
        "wind_dir": pa.Column(float, pa.Check.in_range(0, 360), nullable=True),
        # Raw sensor data keeps its glitches (one 1048 mph reading); validate masks them.
        "wind_speed": pa.Column(float, pa.Check.ge(0), nullable=True),
        "wind_gust": pa.Column(float, pa.Check.ge(0), nullable=True),
        "precip": pa.Column(float, pa.Check.ge(0), nullable=True),
        "pressure": pa.Column(float, pa.Check.in_range(850, 1100), nullable=True),  # millibar
        "visib": pa.Column(float, pa.Check.in_range(0, 100), nullable=True),  # miles
        "time_hour": pa.Column(str, pa.Check.str_matches(UTC_HOUR_PATTERN)),
    },
    unique=WEATHER_KEY,
    strict=True,
)

PHYSICAL_WIND_SPEED = pa.Check.in_range(0, MAX_WIND_SPEED)

# After validate masks impossible wind speeds: physical ceilings where raw data had none, so
# an absurd value stops at validate (naming the landed file and batch), and the prediction
# API takes its limits from here (1e308 must not reach the request log and the drift report).
INTERIM_WEATHER = RAW_WEATHER.update_columns(
    {
        "wind_speed": {"checks": [PHYSICAL_WIND_SPEED]},
        "wind_gust": {"checks": [PHYSICAL_WIND_SPEED]},
        # inches in the hour; the world record is about 12
        "precip": {"checks": [pa.Check.in_range(0, 20)]},
    }
).set_name("interim weather")

# One row per labelled flight: the columns the model's raw input has, the label, the batch.
FEATURES = pa.DataFrameSchema(
    name="features",
    columns={
        "batch": RAW_FLIGHTS.columns["batch"],
        **{
            name: RAW_FLIGHTS.columns[name]
            for name in ["carrier", "origin", "dest", "sched_dep_time", "sched_arr_time"]
        },
        **{name: RAW_FLIGHTS.columns[name] for name in ["year", "month", "day", "distance"]},
        **{name: INTERIM_WEATHER.columns[name] for name in WEATHER_FEATURES},
        "is_late": pa.Column(int, pa.Check.isin([0, 1])),
    },
    strict=True,
)

CONTRACTS = DatasetContracts(
    raw={"flights": RAW_FLIGHTS, "weather": RAW_WEATHER},
    interim={"flights": RAW_FLIGHTS, "weather": INTERIM_WEATHER},
    features=FEATURES,
)
