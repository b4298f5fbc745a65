"""Data contracts at every stage boundary (pandera): what each table must look like.

Every rule here was checked against the real example data: a contract that rejects real,
correct rows is a bug. `pipeline.contracts` applies them and reports what broke.
"""

from __future__ import annotations

import pandas as pd
import pandera.pandas as pa

from pipeline.contracts.apply import row_rule
from pipeline.errors import ConfigError
from pipeline.examples.flights.features import WEATHER_FEATURES, WEATHER_KEY

BATCH_PATTERN = r"^\d{4}-\d{2}$"
ORIGINS = ["EWR", "JFK", "LGA"]
FLIGHT_KEY = ["year", "month", "day", "carrier", "flight", "origin", "sched_dep_time"]
UTC_HOUR_PATTERN = r"^\d{4}-\d{2}-\d{2}T\d{2}:00:00Z$"
# Physically possible wind speeds (mph); validate masks readings above this as missing.
MAX_WIND_SPEED = 250.0


def is_clock_time(hhmm: pd.Series) -> pd.Series:
    """HHMM clock times: 0..2359 with minutes below 60 (2400 is midnight in the source)."""
    return hhmm.isna() | ((hhmm >= 0) & (hhmm <= 2400) & (hhmm % 100 < 60))


def clock_column(nullable: bool) -> pa.Column:
    check = pa.Check(is_clock_time, name="is_hhmm_clock_time", error="HHMM clock time")
    return pa.Column(float if nullable else int, check, nullable=nullable)


RAW_FLIGHTS = pa.DataFrameSchema(
    name="raw flights",
    columns={
        "batch": pa.Column(str, pa.Check.str_matches(BATCH_PATTERN)),
        "year": pa.Column(int, pa.Check.in_range(1900, 2100)),
        "month": pa.Column(int, pa.Check.in_range(1, 12)),
        "day": pa.Column(int, pa.Check.in_range(1, 31)),
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
        "distance": pa.Column(int, pa.Check.gt(0)),
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
        "year": pa.Column(int, pa.Check.in_range(1900, 2100)),
        "month": pa.Column(int, pa.Check.in_range(1, 12)),
        "day": pa.Column(int, pa.Check.in_range(1, 31)),
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

INTERIM_WEATHER = RAW_WEATHER.update_column("wind_speed", checks=[PHYSICAL_WIND_SPEED]).set_name(
    "interim weather"
)

FEATURES = pa.DataFrameSchema(
    name="features",
    columns={
        "batch": pa.Column(str, pa.Check.str_matches(BATCH_PATTERN)),
        "carrier": pa.Column("category"),
        "origin": pa.Column("category", pa.Check.isin(ORIGINS)),
        "dest": pa.Column("category"),
        "sched_dep_hour": pa.Column(float, pa.Check.in_range(0, 24)),
        "sched_arr_hour": pa.Column(float, pa.Check.in_range(0, 24)),
        "day_of_week": pa.Column(int, pa.Check.in_range(0, 6)),
        # Half the earth's circumference: no flight is longer (the longest here is 4,983).
        "distance": pa.Column(float, pa.Check.in_range(0, 12_450, include_min=False)),
        # The validated readings' rules, with physical ceilings where raw data had none: the
        # prediction API takes its limits from here, and an absurd value (1e308) must not
        # pass into the request log and break the drift report.
        **{name: INTERIM_WEATHER.columns[name] for name in WEATHER_FEATURES},
        "is_late": pa.Column(int, pa.Check.isin([0, 1])),
    },
    strict=True,
).update_columns(
    {
        "wind_gust": {"checks": [PHYSICAL_WIND_SPEED]},
        # inches in the hour; the world record is about 12
        "precip": {"checks": [pa.Check.in_range(0, 20)]},
    }
)


def model_input(columns: list[str]) -> pa.DataFrameSchema:
    """What the estimator sees: the feature columns it uses, with the features' rules."""
    unknown = [column for column in columns if column not in FEATURES.columns]
    if unknown:
        raise ConfigError(f"feature column(s) {unknown} are not in the features contract")
    # Not strict: the frame may carry other columns (batch, target); the model reads these.
    return pa.DataFrameSchema({c: FEATURES.columns[c] for c in columns}, name="model input")


def predictions(threshold: float) -> pa.DataFrameSchema:
    """Scores written by evaluate: a probability per row, and the decision at `threshold`."""
    return pa.DataFrameSchema(
        name="predictions",
        columns={
            "batch": pa.Column(str, pa.Check.str_matches(BATCH_PATTERN)),
            "split": pa.Column(str, pa.Check.isin(["holdout", "current"])),
            "is_late": pa.Column(int, pa.Check.isin([0, 1])),
            "probability": pa.Column(float, pa.Check.in_range(0.0, 1.0)),
            "predicted": pa.Column(int, pa.Check.isin([0, 1])),
        },
        checks=[
            row_rule(
                ["probability", "predicted"],
                lambda df: df["predicted"] == (df["probability"] >= threshold).astype(int),
                "predicted == (probability >= evaluate.threshold)",
            )
        ],
        strict=True,
    )
