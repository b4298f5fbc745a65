"""Stage split: train and holdout from the training window, and the current batch."""

import pandas as pd
from omegaconf import DictConfig

from pipeline.data.batches import BATCH_COLUMN, batch_order, split_batches
from pipeline.io import write_parquet
from pipeline.stages.common import run_stage


def main(params: DictConfig) -> str:
    features = pd.read_parquet(params.paths.features)
    splits = split_batches(
        features,
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
    return (
        f"train {len(splits.train):,} / holdout {len(splits.holdout):,} rows from "
        f"{window[0]}..{window[-1]}; current batch {splits.current[BATCH_COLUMN].iat[0]} "
        f"{len(splits.current):,} rows"
    )


if __name__ == "__main__":
    run_stage("split", main)
