"""Pure feature functions: cleaned raw tables in, one model-ready row per flight out."""

from __future__ import annotations

import pandas as pd

CATEGORICAL = ["carrier", "origin", "dest"]
TARGET = "is_late"
WEATHER_KEY = ["origin", "time_hour"]
WEATHER_FEATURES = [
    "temp", "dewp", "humid", "wind_dir", "wind_speed", "wind_gust", "precip", "pressure", "visib",
]  # fmt: skip


def clock_hours(hhmm: pd.Series) -> pd.Series:
    """HHMM clock times as fractional hours: 1330 -> 13.5."""
    return (hhmm // 100 + (hhmm % 100) / 60).astype(float)


def build_features(
    flights: pd.DataFrame, weather: pd.DataFrame, late_after_minutes: int
) -> pd.DataFrame:
    """Join each flight to the weather at its origin in its scheduled hour and derive features.

    Flights without an arrival delay (cancelled or diverted) have no label and are dropped.
    Columns observed after scheduling (dep_time, dep_delay, arr_time, air_time) are never used.
    """
    labelled = flights[flights["arr_delay"].notna()]
    joined = labelled.merge(
        weather[[*WEATHER_KEY, *WEATHER_FEATURES]],
        on=WEATHER_KEY,
        how="left",
        validate="many_to_one",
    )
    dates = pd.to_datetime(joined[["year", "month", "day"]])
    features = pd.DataFrame(
        {
            "batch": joined["batch"],
            **{
                name: joined[name].astype(pd.CategoricalDtype(sorted(joined[name].unique())))
                for name in CATEGORICAL
            },
            "sched_dep_hour": clock_hours(joined["sched_dep_time"]),
            "sched_arr_hour": clock_hours(joined["sched_arr_time"]),
            "day_of_week": dates.dt.dayofweek.astype(int),
            "distance": joined["distance"].astype(float),
            **{name: joined[name].astype(float) for name in WEATHER_FEATURES},
            TARGET: (joined["arr_delay"] > late_after_minutes).astype(int),
        }
    )
    return features.reset_index(drop=True)
