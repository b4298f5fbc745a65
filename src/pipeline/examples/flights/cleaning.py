"""Repairs applied to raw data before it becomes interim data, each one counted."""

from __future__ import annotations

import pandas as pd

from pipeline.examples.flights.schemas import MAX_WIND_SPEED


def mask_impossible_readings(weather: pd.DataFrame) -> tuple[pd.DataFrame, int]:
    """Set physically impossible wind speeds (sensor glitches) to missing; return the count."""
    impossible = weather["wind_speed"] > MAX_WIND_SPEED
    cleaned = weather.copy()
    cleaned.loc[impossible, "wind_speed"] = float("nan")
    return cleaned, int(impossible.sum())
