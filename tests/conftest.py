"""Shared fixtures: the real config composed by Hydra, and small slices of the real data."""

from __future__ import annotations

import os

import pandas as pd
import pytest
from helpers import ROOT, SMALL_BATCHES
from omegaconf import DictConfig, OmegaConf

from pipeline.data.sources import read_example
from pipeline.examples.flights.cleaning import mask_impossible_readings
from pipeline.examples.flights.features import build_features

# `make test` runs two workers on two cores. Gradient boosting's OpenMP threads spin while they
# wait, and two processes of two spinning threads each slowed one fit from 1.4 s to over 60 s
# here: one thread per worker (inherited by every dvc and stage process a test starts).
os.environ.setdefault("OMP_NUM_THREADS", "1")


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
