"""Repairs applied to the example's raw tables before they become interim data, each counted."""

from __future__ import annotations

from collections.abc import Mapping

import pandas as pd

from pipeline.examples.flights.schemas import MAX_WIND_SPEED


def mask_impossible_readings(
    tables: dict[str, pd.DataFrame], options: Mapping
) -> tuple[dict[str, pd.DataFrame], dict[str, int]]:
    """Set physically impossible wind speeds (sensor glitches) to missing; count them."""
    weather = tables["weather"]
    impossible = weather["wind_speed"] > MAX_WIND_SPEED
    cleaned = weather.copy()
    cleaned.loc[impossible, "wind_speed"] = float("nan")
    return tables | {"weather": cleaned}, {"weather_readings_masked": int(impossible.sum())}
