"""Stage split: train and holdout from the training window, and the current batch."""

import contextlib
from collections.abc import Mapping
from pathlib import Path

import numpy as np
import pandas as pd
from omegaconf import DictConfig

from pipeline.config import EngineName
from pipeline.data.batches import BATCH_COLUMN, Splits, batch_order, split_batches
from pipeline.engine.cluster import dask_client, run_tasks
from pipeline.engine.parts import PART, offsets, part_files, read_part, write_part
from pipeline.io import atomic_dir, write_parquet
from pipeline.stages.common import run_stage

ROW = "__row__"  # a row's table-wide number while the split picks rows


def main(params: DictConfig) -> str:
    if params.engine.name == EngineName.dask:
        with dask_client(params.engine):
            splits = on_dask(params)
    else:
        splits = split_batches(
            pd.read_parquet(params.paths.features),
            target=params.dataset.target,
            current_batch=params.data.current_batch,
            train_window=params.data.train_window,
            method=params.split.method,
            holdout_fraction=params.split.holdout_fraction,
            seed=params.seed,
            task=params.dataset.task,
        )
        for name, frame in splits._asdict().items():
            write_parquet(frame, params.paths[name])
    window = batch_order(pd.concat([splits.train, splits.holdout])[BATCH_COLUMN].unique())
    current = (
        f"current batch {splits.current[BATCH_COLUMN].iat[0]} {len(splits.current):,} rows"
        if len(splits.current)
        else "no current batch: one batch so far"
    )
    return (
        f"train {len(splits.train):,} / holdout {len(splits.holdout):,} rows from "
        f"{window[0]}..{window[-1]}; {current}"
    )


# --- engine=dask: one task per Parquet part ---------------------------------------------


def on_dask(params: Mapping) -> Splits:
    """The holdout drawn from the batch and label columns alone, exactly as the pandas engine
    draws it; then every part writes its rows of each split. Returns the splits' batch and
    label columns (for the summary)."""
    paths, target = params["paths"], params["dataset"]["target"]
    parts = part_files(paths["features"])
    starts = offsets(parts)
    keys = pd.concat(
        run_tasks(
            [
                (read_part, part, start, [BATCH_COLUMN, target])
                for part, start in zip(parts, starts, strict=True)
            ]
        )
    )
    keys[ROW] = keys.index
    splits = split_batches(
        keys,
        target=target,
        current_batch=params["data"]["current_batch"],
        train_window=params["data"]["train_window"],
        method=params["split"]["method"],
        holdout_fraction=params["split"]["holdout_fraction"],
        seed=params["seed"],
        task=params["dataset"]["task"],
    )
    picks = {name: np.sort(frame[ROW].to_numpy()) for name, frame in splits._asdict().items()}
    with contextlib.ExitStack() as stack:
        folders = {name: stack.enter_context(atomic_dir(paths[name])) for name in picks}
        run_tasks(
            [
                (_split_part, part, start, picks, folders)
                for part, start in zip(parts, starts, strict=True)
            ]
        )
        for folder in folders.values():
            if not any(folder.glob("*.parquet")):  # no row: still a readable, typed table
                write_part(pd.read_parquet(parts[0]).iloc[:0], folder, PART.format(0, 0))
    return Splits(**{name: frame.drop(columns=ROW) for name, frame in splits._asdict().items()})


def _split_part(part, start, picks: dict[str, np.ndarray], folders: dict[str, Path]) -> None:
    frame = read_part(part, start)
    for name, rows in picks.items():
        mine = rows[(rows >= start) & (rows < start + len(frame))]
        if len(mine):
            write_part(frame.loc[mine].reset_index(drop=True), folders[name], part.name)


if __name__ == "__main__":
    run_stage("split", main)
