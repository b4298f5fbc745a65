"""Train, holdout and current written part by part, on either engine.

The rows are picked from the batch and label columns alone (a few bytes a row), exactly as
`split_batches` picks them from the whole table; then each part writes its rows of each split,
so no step holds the whole features table.
"""

from __future__ import annotations

import contextlib
from collections.abc import Mapping
from pathlib import Path

import numpy as np
import pandas as pd

from pipeline.data.batches import BATCH_COLUMN, Splits, split_batches
from pipeline.engine.parts import PART, offsets, part_files, read_part
from pipeline.engine.runner import Runner

ROW = "__row__"  # a row's table-wide number while the split picks rows


def split_table(runner: Runner, features: str, outputs: Mapping[str, str], **rule) -> Splits:
    """Write the splits of `features` to `outputs` (train, holdout, current); `rule` is
    split_batches's. Returns the splits' batch and label columns."""
    target = rule["target"]
    parts = part_files(features)
    starts = offsets(parts)
    tasks = [
        (read_part, part, start, [BATCH_COLUMN, target])
        for part, start in zip(parts, starts, strict=True)
    ]
    keys = pd.concat(runner.run(tasks))
    keys[ROW] = keys.index
    splits = split_batches(keys, **rule)
    picks = {name: np.sort(frame[ROW].to_numpy()) for name, frame in splits._asdict().items()}
    with contextlib.ExitStack() as stack:
        tables = {name: stack.enter_context(runner.table(outputs[name])) for name in picks}
        written = runner.run(
            [
                (write_picks, runner, part, start, picks, tables)
                for part, start in zip(parts, starts, strict=True)
            ]
        )
        for name, table in tables.items():
            if not any(name in names for names in written):  # no row: still a typed table
                runner.write(pd.read_parquet(parts[0]).iloc[:0], table, PART.format(0, 0))
    return Splits(**{name: frame.drop(columns=ROW) for name, frame in splits._asdict().items()})


def write_picks(
    runner: Runner, part: Path, start: int, picks: dict[str, np.ndarray], tables: dict[str, Path]
) -> list[str]:
    """One part's rows of each split; returns the splits it wrote rows to."""
    frame = read_part(part, start)
    wrote = []
    for name, rows in picks.items():
        mine = rows[(rows >= start) & (rows < start + len(frame))]
        if len(mine):
            runner.write(frame.loc[mine].reset_index(drop=True), tables[name], part.name)
            wrote.append(name)
    return wrote
