"""Batches: their order, and the split of featurized batches into train, holdout and current.

From the features table on, every framework table carries its batch id as text in BATCH_COLUMN.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import NamedTuple

import numpy as np
import pandas as pd

from pipeline.errors import ConfigError

BATCH_COLUMN = "batch"


class Splits(NamedTuple):
    train: pd.DataFrame
    holdout: pd.DataFrame
    current: pd.DataFrame


PERIOD_FORMATS = {"year": "%Y", "month": "%Y-%m", "day": "%Y-%m-%d"}


def parse_dates(values: pd.Series) -> pd.Series:
    """Dates or timestamps (ISO text, other common text, or a datetime type) as naive UTC
    times; what cannot be read is missing (NaT)."""
    if pd.api.types.is_datetime64_any_dtype(values):
        parsed = values
    else:
        text = values.astype("string")
        try:
            parsed = pd.to_datetime(text, format="ISO8601", utc=True)
        except (ValueError, TypeError):
            parsed = pd.to_datetime(text, format="mixed", errors="coerce", utc=True)
    if getattr(parsed.dt, "tz", None) is not None:
        parsed = parsed.dt.tz_convert("UTC").dt.tz_localize(None)
    return parsed


def cut_dates(values: pd.Series, by: str) -> pd.Series:
    """Each date's batch id (`by`: year, quarter, month, week or day); text that sorts in
    time order. A value that is not a date is missing."""
    dates = parse_dates(values)
    if by == "quarter":
        ids = (
            dates.dt.year.astype("Int64").astype("string")
            + "-Q"
            + dates.dt.quarter.astype("Int64").astype("string")
        )
    elif by == "week":
        iso = dates.dt.isocalendar()
        ids = iso["year"].astype("string") + "-W" + iso["week"].astype("string").str.zfill(2)
    elif by in PERIOD_FORMATS:
        ids = dates.dt.strftime(PERIOD_FORMATS[by]).astype("string")
    else:
        raise ConfigError(
            f"dataset.batch.by={by!r}; expected one of year, quarter, month, week, day"
        )
    return ids.astype(object).where(dates.notna(), None)


def batch_origins(ingest_report: Path) -> dict[str, str]:
    """Which file or database each batch came from (ingest's report), so a failure names it."""
    if not ingest_report.exists():
        return {}
    batches = json.loads(ingest_report.read_text()).get("batches", [])
    return {entry["batch"]: entry["origin"] for entry in batches if entry.get("origin")}


def batch_order(batches) -> list[str]:
    """Batch ids oldest first: by number when every id is one ("9" before "10"), else as text."""
    ids = sorted({str(batch) for batch in batches})
    try:
        return sorted(ids, key=float)
    except ValueError:
        return ids


def training_window(
    batches: list[str], current: str | None, window: int | None
) -> tuple[list[str], str | None]:
    """The batches that train the model and the current one (default: the newest).

    A single batch (a snapshot) trains the model and there is no current batch yet: what
    needs one (drift, decay, the newest batch's metrics) waits for the next batch.
    """
    ordered = batch_order(batches)
    if current is None and len(ordered) == 1:
        return ordered, None
    current = str(current) if current is not None else ordered[-1]
    if current not in ordered:
        raise ConfigError(f"data.current_batch={current!r} is not among the batches {ordered}")
    before = ordered[: ordered.index(current)]
    if window is not None:
        before = before[-window:] if window > 0 else []
    if not before:
        raise ConfigError(f"no batch before the current batch {current!r} to train on")
    return before, current


def stratified_holdout(
    labels: pd.Series, fraction: float, seed: int, *, bins: int = 0
) -> np.ndarray:
    """A boolean mask picking `fraction` of each class, reproducibly for a given seed.

    With `bins`, a numeric label is cut at its quantiles into that many strata first, so
    the holdout spans the label's whole range (regression).
    """
    if not 0 < fraction < 1:
        raise ConfigError(f"split.holdout_fraction must be between 0 and 1, got {fraction}")
    if bins:
        labels = pd.Series(pd.qcut(labels.rank(method="first"), bins, labels=False))
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
    target: str,
    current_batch: str | None,
    train_window: int | None,
    method: str,
    holdout_fraction: float,
    seed: int,
    task: str = "classification",
) -> Splits:
    """Train and holdout from the training window; the current batch on its own.

    A random holdout keeps each class's share (classification) or each tenth of the
    label's range (regression).
    """
    window, current = training_window(
        features[BATCH_COLUMN].unique().tolist(), current_batch, train_window
    )
    in_window = features[features[BATCH_COLUMN].isin(window)].reset_index(drop=True)
    if method == "random":
        bins = min(10, len(in_window)) if str(task) == "regression" else 0
        is_holdout = stratified_holdout(in_window[target], holdout_fraction, seed, bins=bins)
    elif method == "last_batch":
        if len(window) < 2:
            raise ConfigError("split.method=last_batch needs at least two batches in the window")
        is_holdout = (in_window[BATCH_COLUMN] == window[-1]).to_numpy()
    else:
        raise ConfigError(f"split.method={method!r}; expected random or last_batch")
    # No current batch (a snapshot): zero rows, with the same columns and types.
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
