"""Partitioned tables: a folder of Parquet parts, read in name order, which is row order.

With engine=dask a table stage writes each table as a folder in place of one file (same
path, e.g. data/raw/orders.parquet/part-00003-0001.parquet); pandas and pyarrow read such a
folder as one table, so stages that need a whole table read it as before.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pandas as pd

PART = "part-{:05d}-{:04d}.parquet"


def part_files(table: str | Path) -> list[Path]:
    """A table's parts in row order; a plain Parquet file is its own single part."""
    path = Path(table).resolve()  # a Dask worker may run in another directory
    if path.is_file():
        return [path]
    parts = sorted(p for p in path.glob("*.parquet") if not p.name.startswith("."))
    if not parts:
        raise FileNotFoundError(f"{path}: no Parquet part in this folder")
    return parts


def row_counts(parts: list[Path]) -> list[int]:
    import pyarrow.parquet as pq

    return [pq.ParquetFile(part).metadata.num_rows for part in parts]


def offsets(parts: list[Path]) -> list[int]:
    """The table-wide row number of each part's first row."""
    counts = row_counts(parts)
    return [sum(counts[:i]) for i in range(len(counts))]


def read_part(part: Path, offset: int = 0, columns: list[str] | None = None) -> pd.DataFrame:
    """One part, indexed by its rows' table-wide numbers (as the whole table would be)."""
    frame = pd.read_parquet(part, columns=columns)
    frame.index = pd.RangeIndex(offset, offset + len(frame))
    return frame


def read_table(table: str | Path, columns: list[str] | None = None) -> pd.DataFrame:
    """A whole table, from one file or a folder of parts."""
    frames = [pd.read_parquet(part, columns=columns) for part in part_files(table)]
    return pd.concat(frames, ignore_index=True) if len(frames) > 1 else frames[0]


def chunks(frame: pd.DataFrame, rows: int, batch_column: str | None = None) -> Iterator:
    """Slices of at most `rows` rows, cut where the batch changes (runs of one batch)."""
    starts = [0]
    if batch_column and batch_column in frame.columns and len(frame):
        batch = frame[batch_column].astype(str).to_numpy()
        starts += (np.flatnonzero(batch[1:] != batch[:-1]) + 1).tolist()
    ends = [*starts[1:], len(frame)]
    for start, end in zip(starts, ends, strict=True):
        for cut in range(start, max(end, start + 1), max(rows, 1)):
            yield frame.iloc[cut : min(cut + rows, end)]


def write_part(frame: pd.DataFrame, folder: Path, name: str) -> Path:
    """Write one part into the (temporary) folder of a table being written."""
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / name
    frame.to_parquet(path, index=False)
    return path
