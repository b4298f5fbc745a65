"""Tables read a batch of rows at a time: counts and a seeded sample without the whole table.

A stored table is one or more Parquet outputs end to end (the training window is train then
holdout), each one file (engine=pandas) or a folder of parts (engine=dask), both read the same
way (pyarrow.dataset: a folder's parts in name order, which is row order). Every batch has the
pandas dtypes the whole table has when read at once (`pd.read_parquet` of each output, then
`pd.concat`): an integer column with a missing value anywhere is float in every batch, so a
value reads the same whichever batch holds it. A batch is indexed by its rows' table-wide
numbers. What is added up batch by batch therefore equals what the whole table gives.

A frame already in memory is a table of one batch (`as_table`), so one code path serves both.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Protocol

import numpy as np
import pandas as pd

# Rows per batch: about 4 MiB of a 20-column table in pandas, whatever the table's size.
# Smaller batches cost time (each is a pandas frame); larger ones memory (Parquet decoding
# buffers grew with them: 76 MiB at 65,536 rows of a 1-million-row row group, 23 at 16,384).
BATCH_ROWS = 16_384


class Table(Protocol):
    """Rows read a batch at a time, in table order."""

    rows: int

    def batches(self, columns: list[str] | None = None) -> Iterator[pd.DataFrame]: ...


def sample_positions(total: int, rows: int | None, seed: int) -> np.ndarray | None:
    """The row numbers of `rows` rows drawn with `seed` from `total`, in table order: those
    `DataFrame.sample(n=rows, random_state=seed)` draws. None: every row (no more than `rows`).

    That draw is `RandomState(seed).choice(total, rows, replace=False)`: the first `rows` of
    a shuffled `arange(total)`. The same shuffle is done here on 4-byte row numbers (its
    random draws do not depend on the type), so drawing holds 4 bytes per row of the table
    for a moment: 64 MiB for 16 million rows.
    """
    if rows is None or total <= rows:
        return None
    numbers = np.arange(total, dtype=np.uint32 if total < 2**32 else np.int64)
    np.random.RandomState(seed).shuffle(numbers)
    return np.sort(numbers[:rows]).astype(np.int64)


def sample(frame: pd.DataFrame, rows: int | None, seed: int) -> pd.DataFrame:
    """At most `rows` rows drawn with `seed`, in their original order."""
    positions = sample_positions(len(frame), rows, seed)
    return frame if positions is None else frame.iloc[positions]


class Sample:
    """A table's seeded sample, kept from its batches as they are read (in table order)."""

    def __init__(self, total: int, rows: int | None, seed: int):
        self.positions = sample_positions(total, rows, seed)
        self.seen = 0
        self.kept: list[pd.DataFrame] = []

    def keep(self, batch: pd.DataFrame) -> None:
        """Keep this batch's sampled rows; batches must come in table order, each once."""
        start, self.seen = self.seen, self.seen + len(batch)
        if self.positions is None:
            self.kept.append(batch)
            return
        first, last = np.searchsorted(self.positions, [start, self.seen])
        if last > first:
            self.kept.append(batch.iloc[self.positions[first:last] - start])

    def frame(self) -> pd.DataFrame:
        if len(self.kept) == 1:
            return self.kept[0]
        if not self.kept:
            raise ValueError("no batch was read: a sample needs the table's columns")
        return pd.concat(self.kept)


class FrameTable:
    """A frame in memory, as a table of one batch."""

    def __init__(self, frame: pd.DataFrame):
        self.frame = frame

    @property
    def rows(self) -> int:
        return len(self.frame)

    def batches(self, columns: list[str] | None = None) -> Iterator[pd.DataFrame]:
        yield self.frame if columns is None else self.frame[columns]


class StoredTable:
    """Parquet outputs (files or folders of parts) read end to end, `batch_rows` at a time."""

    def __init__(self, paths: list[str | Path], columns: list[str], batch_rows: int = BATCH_ROWS):
        import pyarrow.dataset as ds
        import pyarrow.parquet as pq

        self.columns = list(columns)
        self.batch_rows = batch_rows
        self.sources = [ds.dataset(str(path), format="parquet") for path in paths]
        self.dtypes = whole_dtypes(self.sources, self.columns)
        self.rows = sum(
            pq.ParquetFile(file).metadata.num_rows
            for source in self.sources
            for file in source.files
        )

    def batches(self, columns: list[str] | None = None) -> Iterator[pd.DataFrame]:
        import pyarrow as pa
        import pyarrow.parquet as pq

        wanted = self.columns if columns is None else list(columns)
        start = 0
        for source in self.sources:
            schema = selected_schema(source, wanted)
            for file in source.files:
                # Without pre-buffering, a row group's column chunks are read as decoded,
                # not all at once: what the reader holds does not grow with the row group.
                reader = pq.ParquetFile(file, pre_buffer=False)
                for batch in reader.iter_batches(batch_size=self.batch_rows, columns=wanted):
                    table = pa.Table.from_batches([batch]).select(wanted)
                    if not table.schema.equals(schema):
                        table = table.cast(schema.remove_metadata())
                    frame = table.replace_schema_metadata(schema.metadata).to_pandas()
                    changed = {
                        name: self.dtypes[name]
                        for name in wanted
                        if name in self.dtypes and frame[name].dtype != self.dtypes[name]
                    }
                    frame = frame.astype(changed) if changed else frame
                    frame.index = pd.RangeIndex(start, start + len(frame))
                    start += len(frame)
                    yield frame


def selected_schema(source, columns: list[str]):
    """The source's schema (its first file's, as pyarrow reads a folder) of `columns`, with
    the pandas metadata that tells their pandas dtypes."""
    import pyarrow as pa

    schema = pa.schema([source.schema.field(name) for name in columns])
    return schema.with_metadata(source.schema.metadata or {})


def as_table(rows: pd.DataFrame | Table) -> Table:
    """A frame as a table of one batch; a table as it is."""
    return FrameTable(rows) if isinstance(rows, pd.DataFrame) else rows


def whole_dtypes(sources: list, columns: list[str]) -> dict[str, object]:
    """The pandas dtypes of `columns` when each source is read at once and the frames are
    concatenated: pyarrow's conversion depends on a column's type and on whether it holds a
    missing value anywhere (an integer column becomes float), which the Parquet statistics
    tell without reading the values."""
    import pyarrow as pa

    frames = []
    for source in sources:
        schema = selected_schema(source, columns)
        missing = with_missing_values(source.files, columns)
        nothing = schema.empty_table().to_pandas()
        blank = pa.table([pa.nulls(1, field.type) for field in schema], schema=schema).to_pandas()
        frames.append(
            pd.DataFrame(
                {
                    name: pd.Series([], dtype=(blank if name in missing else nothing)[name].dtype)
                    for name in columns
                }
            )
        )
    # A dictionary-encoded column (a pandas category) has the categories of the batch it is
    # read in; the whole table's are not known before every batch is read: left as read.
    return {
        name: dtype
        for name, dtype in pd.concat(frames).dtypes.items()
        if not isinstance(dtype, pd.CategoricalDtype)
    }


def with_missing_values(files: list[str], columns: list[str]) -> set[str]:
    """The columns holding a missing value in any of `files`: from the row groups'
    statistics, or by reading the column where a file has none."""
    import pyarrow.parquet as pq

    found: set[str] = set()
    for file in files:
        reader = pq.ParquetFile(file)
        unknown: set[str] = set()
        meta = reader.metadata
        for group in range(meta.num_row_groups):
            chunks = meta.row_group(group)
            for index in range(chunks.num_columns):
                chunk = chunks.column(index)
                name = chunk.path_in_schema
                if name not in columns or name in found:
                    continue
                stats = chunk.statistics
                if stats is None or not stats.has_null_count:
                    unknown.add(name)
                elif stats.null_count:
                    found.add(name)
        for name in sorted(unknown - found):
            if any(b.column(0).null_count for b in reader.iter_batches(columns=[name])):
                found.add(name)
    return found
