"""Tables read a batch of rows at a time (data/tables.py): the same rows, dtypes and seeded
sample as the whole table read at once, from one Parquet file or a folder of parts."""

from __future__ import annotations

import tracemalloc
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from helpers import write_parts

from pipeline.data.tables import FrameTable, Sample, StoredTable, sample, sample_positions
from pipeline.monitoring.quality import Counts


def rows(count: int, seed: int = 0) -> pd.DataFrame:
    """Text, integers with a gap only late in the table, floats, booleans with gaps."""
    rng = np.random.default_rng(seed)
    visits = rng.integers(0, 50, count).astype(float)
    visits[count - 3] = np.nan  # read alone, the first parts would be integers
    return pd.DataFrame(
        {
            "batch": np.repeat([f"2024-{m:02d}" for m in range(1, 5)], -(-count // 4))[:count],
            "plan": rng.choice(["basic", "pro", "team"], count),
            "visits": visits,
            "spend": rng.normal(50, 10, count),
            "churned": rng.integers(0, 2, count),
            "paid": pd.Series(rng.integers(0, 2, count) == 1, dtype=object).where(
                np.arange(count) % 7 != 3, None
            ),
        }
    )


def write(frame: pd.DataFrame, path: Path, *, part_rows: int | None = None) -> Path:
    """As the pandas engine writes a table (one file) or the Dask engine (a folder of parts,
    integers without a gap in a part written as integers)."""
    if part_rows is None:
        frame.to_parquet(path, index=False, row_group_size=70)
        return path
    return write_parts(frame, path, part_rows, "visits")


@pytest.fixture(params=["file", "parts"])
def stored(request, tmp_path) -> tuple[list[Path], pd.DataFrame]:
    """Two outputs end to end (a training window: train then holdout) and the frame a
    stage read before: each output read whole, then concatenated."""
    parts = 45 if request.param == "parts" else None
    first, second = rows(300, seed=1), rows(120, seed=2)
    paths = [
        write(first, tmp_path / "train.parquet", part_rows=parts),
        write(second, tmp_path / "holdout.parquet", part_rows=parts),
    ]
    whole = pd.concat([pd.read_parquet(path) for path in paths], ignore_index=True)
    return paths, whole


def test_batches_are_the_whole_tables_rows_with_its_dtypes(stored):
    paths, whole = stored
    table = StoredTable(paths, list(whole.columns), batch_rows=32)
    batches = list(table.batches())
    assert len(batches) > 10 and table.rows == len(whole)
    if paths[0].is_dir():  # a gapless part alone reads as integers
        assert pd.read_parquet(next(paths[0].iterdir()))["visits"].dtype == "int64"
    # An integer column with one gap late in the table is float in every batch, as in the
    # whole table: its values read "3.0" in the first batch as in the last.
    assert all(batch["visits"].dtype == "float64" for batch in batches)
    pd.testing.assert_frame_equal(pd.concat(batches), whole)
    assert list(next(table.batches(["spend", "plan"])).columns) == ["spend", "plan"]


@pytest.mark.parametrize(("size", "seed"), [(50, 0), (97, 42), (419, 7), (420, 3), (1000, 1)])
def test_the_sample_kept_while_reading_is_the_rows_dataframe_sample_draws(stored, size, seed):
    paths, whole = stored
    table = StoredTable(paths, list(whole.columns), batch_rows=32)
    drawn = Sample(table.rows, size, seed)
    for batch in table.batches():
        drawn.keep(batch)
    expected = whole if size >= len(whole) else whole.sample(n=size, random_state=seed)
    pd.testing.assert_frame_equal(drawn.frame(), expected.sort_index())
    pd.testing.assert_frame_equal(sample(whole, size, seed), expected.sort_index())


def test_sample_positions_are_in_table_order_and_none_when_every_row_is_kept():
    positions = sample_positions(1000, 10, seed=5)
    assert list(positions) == sorted(positions) and len(set(positions)) == 10
    assert sample_positions(10, 10, seed=5) is None and sample_positions(10, None, 5) is None


def test_a_frame_is_a_table_of_one_batch():
    frame = rows(20)
    table = FrameTable(frame)
    assert table.rows == 20 and [len(batch) for batch in table.batches()] == [20]


def test_reading_a_table_holds_a_batch_and_the_sample_never_the_table(tmp_path):
    """Python's own allocator view (tracemalloc sees NumPy's arrays): counting and sampling
    200,000 rows of numbers 5,000 at a time allocates a small part of what the table takes
    when read whole. Sizes, not times: the same on any machine."""
    rng = np.random.default_rng(0)
    columns = [f"x{i}" for i in range(8)]
    frame = pd.DataFrame(rng.normal(size=(200_000, 8)), columns=columns)
    frame.to_parquet(tmp_path / "big.parquet", index=False)
    whole_bytes = int(frame.memory_usage(deep=True).sum())
    del frame
    table = StoredTable([tmp_path / "big.parquet"], columns, batch_rows=5_000)
    tracemalloc.start()
    try:
        drawn, counts = Sample(table.rows, 2_000, seed=0), Counts(columns, [])
        for batch in table.batches():
            drawn.keep(batch)
            counts.add(batch)
        kept = drawn.frame()
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert len(kept) == 2_000 and counts.rows == 200_000
    # The draw shuffles 4 bytes per row (0.8 MB here); a batch is 0.3 MB: the whole table
    # is 12.8 MB.
    assert peak < whole_bytes / 4, f"{peak:,} bytes traced reading a {whole_bytes:,}-byte table"
