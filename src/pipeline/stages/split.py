"""Stage split: train and holdout from the training window, and the current batch."""

import pandas as pd
from omegaconf import DictConfig

from pipeline.data.batches import BATCH_COLUMN, batch_order
from pipeline.data.splitting import split_table
from pipeline.engine.runner import runner_for
from pipeline.stages.common import run_stage


def main(params: DictConfig) -> str:
    paths = params.paths
    outputs = {name: paths[name] for name in ("train", "holdout", "current")}
    with runner_for(params.engine) as runner:
        splits = split_table(
            runner,
            paths.features,
            outputs,
            target=params.dataset.target,
            current_batch=params.data.current_batch,
            train_window=params.data.train_window,
            method=params.split.method,
            holdout_fraction=params.split.holdout_fraction,
            seed=params.seed,
            task=params.dataset.task,
        )
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


if __name__ == "__main__":
    run_stage("split", main)
