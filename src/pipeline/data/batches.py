"""Split featurized batches into train, holdout and the current (newest) batch."""

from __future__ import annotations

from typing import NamedTuple

import numpy as np
import pandas as pd

from pipeline.data.sources import BATCH_COLUMN
from pipeline.errors import ConfigError
from pipeline.examples.flights.features import TARGET


class Splits(NamedTuple):
    train: pd.DataFrame
    holdout: pd.DataFrame
    current: pd.DataFrame


def training_window(
    batches: list[str], current: str | None, window: int | None
) -> tuple[list[str], str]:
    """The batches that train the model and the current one (default: the newest)."""
    ordered = sorted(set(batches))
    current = current or ordered[-1]
    if current not in ordered:
        raise ConfigError(f"data.current_batch={current!r} is not among the batches {ordered}")
    before = [batch for batch in ordered if batch < current]
    if window is not None:
        before = before[-window:] if window > 0 else []
    if not before:
        raise ConfigError(f"no batch before the current batch {current!r} to train on")
    return before, current


def stratified_holdout(labels: pd.Series, fraction: float, seed: int) -> np.ndarray:
    """A boolean mask picking `fraction` of each class, reproducibly for a given seed."""
    if not 0 < fraction < 1:
        raise ConfigError(f"split.holdout_fraction must be between 0 and 1, got {fraction}")
    rng = np.random.default_rng(seed)
    mask = np.zeros(len(labels), dtype=bool)
    for value in sorted(labels.unique()):
        positions = np.flatnonzero(labels.to_numpy() == value)
        chosen = rng.permutation(positions)[: round(len(positions) * fraction)]
        mask[chosen] = True
    return mask


def split_batches(
    features: pd.DataFrame,
    *,
    current_batch: str | None,
    train_window: int | None,
    method: str,
    holdout_fraction: float,
    seed: int,
) -> Splits:
    """Train and holdout from the training window; the current batch on its own."""
    window, current = training_window(
        features[BATCH_COLUMN].unique().tolist(), current_batch, train_window
    )
    in_window = features[features[BATCH_COLUMN].isin(window)].reset_index(drop=True)
    if method == "random":
        is_holdout = stratified_holdout(in_window[TARGET], holdout_fraction, seed)
    elif method == "last_batch":
        if len(window) < 2:
            raise ConfigError("split.method=last_batch needs at least two batches in the window")
        is_holdout = (in_window[BATCH_COLUMN] == window[-1]).to_numpy()
    else:
        raise ConfigError(f"split.method={method!r}; expected random or last_batch")
    current_rows = features[features[BATCH_COLUMN] == current].reset_index(drop=True)
    return Splits(
        train=in_window[~is_holdout].reset_index(drop=True),
        holdout=in_window[is_holdout].reset_index(drop=True),
        current=current_rows,
    )


def read_training_window(paths, columns: list[str]) -> pd.DataFrame:
    """The rows the model learned from plus the holdout drawn from them: the reference."""
    return pd.concat(
        [pd.read_parquet(paths[split], columns=columns) for split in ("train", "holdout")],
        ignore_index=True,
    )
