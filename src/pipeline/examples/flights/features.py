"""The example's join: each flight with the weather at its origin in its scheduled hour.

Row-local transforms (clock times to hours, the day of the week) are not here: they live in
the saved model (`dataset.derived`), so the API takes the scheduled flight as it is.
"""

from __future__ import annotations

from collections.abc import Mapping

import pandas as pd

TARGET = "is_late"
WEATHER_KEY = ["origin", "time_hour"]
WEATHER_FEATURES = [
    "temp", "dewp", "humid", "wind_dir", "wind_speed", "wind_gust", "precip", "pressure", "visib",
]  # fmt: skip


def join_weather_and_label(tables: dict[str, pd.DataFrame], options: Mapping) -> pd.DataFrame:
    """One row per flight: the flight, its origin's weather in that hour, and the label.

    A flight is late when it arrives more than `options.late_after_minutes` after schedule.
    Cancelled or diverted flights have no arrival delay, so no label (featurize drops them).
    """
    flights, weather = tables["flights"], tables["weather"]
    joined = flights.merge(
        weather[[*WEATHER_KEY, *WEATHER_FEATURES]],
        on=WEATHER_KEY,
        how="left",
        validate="many_to_one",
    )
    delay = joined["arr_delay"]
    late = (delay > options["late_after_minutes"]).astype(float).where(delay.notna())
    return joined.assign(**{TARGET: late})
