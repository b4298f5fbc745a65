"""Shared fixtures: the framework's fixture dataset (tests/data/shop), composed by Hydra."""

from __future__ import annotations

import os

import pandas as pd
import pytest
from helpers import FIXTURE_FILES, compose, note_running_test, share_across_the_session
from omegaconf import DictConfig

# `make test` runs two workers on two cores. Gradient boosting's OpenMP threads spin while they
# wait, and two processes of two spinning threads each slowed one fit from 1.4 s to over 60 s
# here: one thread per worker (inherited by every dvc and stage process a test starts).
os.environ.setdefault("OMP_NUM_THREADS", "1")
# Every `dvc` command line otherwise starts a detached process to send a usage report, which
# cannot reach the network here and leaves its report file in the system's temporary folder:
# more than a thousand of them after one suite.
os.environ.setdefault("DVC_NO_ANALYTICS", "1")


@pytest.hookimpl(tryfirst=True)
def pytest_runtest_setup(item: pytest.Item) -> None:
    """Before the test's fixtures: whether it may build repositories (see helpers)."""
    note_running_test(slow=item.get_closest_marker("slow") is not None)


@pytest.fixture(scope="session", autouse=True)
def session_folder(tmp_path_factory) -> None:
    """One folder for the session's DVC cache and built repository states: under xdist the
    parent of this worker's temporary folder, which the other workers share."""
    base = tmp_path_factory.getbasetemp()
    share_across_the_session(base.parent if os.environ.get("PYTEST_XDIST_WORKER") else base)


@pytest.fixture(scope="session")
def shop_params() -> DictConfig:
    """The real config composed with the fixture dataset."""
    return compose()


@pytest.fixture(scope="session")
def shop_raw() -> pd.DataFrame:
    """Every row of the fixture table, oldest batch first, as the files source reads it."""
    return pd.concat(
        [pd.read_csv(path) for path in sorted(FIXTURE_FILES.glob("*.csv"))], ignore_index=True
    )


@pytest.fixture(scope="session")
def shop_features(shop_raw, shop_params) -> pd.DataFrame:
    """The fixture's features table, built by featurize's core."""
    from pipeline.data.feature_table import feature_table
    from pipeline.modeling.derived import input_columns

    dataset = shop_params.dataset
    inputs = input_columns(
        list(dataset.features.categorical), list(dataset.features.numeric), dataset.derived
    )
    features, _ = feature_table(
        shop_raw, batch_column="year", target="churned", columns=[*inputs, *dataset.slices]
    )
    return features


@pytest.fixture(scope="session")
def shop_splits(shop_features, shop_params):
    """The fixture's features split at random: train, holdout, and the newest year."""
    from pipeline.data.batches import split_batches

    return split_batches(
        shop_features,
        target=shop_params.dataset.target,
        current_batch=None,
        train_window=None,
        method="random",
        holdout_fraction=0.2,
        seed=42,
    )
