"""Shared fixtures: the real config composed by Hydra, and small slices of the real data."""

from __future__ import annotations

import pandas as pd
import pytest
from helpers import ROOT, SMALL_BATCHES
from omegaconf import DictConfig, OmegaConf

from pipeline.cleaning import mask_impossible_readings
from pipeline.features import build_features
from pipeline.sources import read_example


@pytest.fixture(scope="session")
def raw_small() -> tuple[pd.DataFrame, pd.DataFrame]:
    """Three real months of flights and weather."""
    return read_example(SMALL_BATCHES)


@pytest.fixture(scope="session")
def features_small(raw_small) -> pd.DataFrame:
    flights, weather = raw_small
    weather, _ = mask_impossible_readings(weather)
    return build_features(flights, weather, late_after_minutes=15)


@pytest.fixture(scope="session")
def feature_config() -> DictConfig:
    return OmegaConf.load(ROOT / "conf" / "features" / "default.yaml")
