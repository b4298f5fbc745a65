"""Where a table stage's work runs, and how it writes a table: the one place that knows the engine.

A stage describes the work on one part of a table (a typed function in data/ or contracts/)
and hands the runner a task per part. The pandas engine holds each table as one part, runs the
tasks here one after the other, and writes a table as one Parquet file. The Dask engine holds a
table as a folder of parts at the same path (engine/parts.py), maps the tasks over a cluster's
workers, and writes a part per task. The stage's code is the same on both.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from pipeline.config import EngineName
from pipeline.engine.cluster import dask_client, run_tasks
from pipeline.engine.parts import PART, chunks, write_part
from pipeline.io import atomic_dir, atomic_path

if TYPE_CHECKING:
    import pandas as pd


@dataclass(frozen=True)
class Runner:
    """The engine of a run: `partitioned` on Dask, whole tables in this process on pandas."""

    partitioned: bool
    partition_rows: int

    def run(self, tasks: list[tuple]) -> list:
        """`(function, *args)` tasks, their results in order: on the cluster, or here."""
        if self.partitioned:
            return run_tasks(tasks)
        return [task[0](*task[1:]) for task in tasks]

    def shared(self, value):
        """A value every task reads (lookup tables): sent to the cluster once, not per task."""
        if not self.partitioned:
            return value
        import dask

        return dask.delayed(value, pure=True)

    def units(self, items: list) -> list[list]:
        """Work units over `items` (e.g. landed files): one each on a cluster, one for all here."""
        return [[item] for item in items] if self.partitioned else [items]

    @contextmanager
    def table(self, path: str | Path) -> Iterator[Path]:
        """A table written atomically: a temporary folder of parts, or a temporary file."""
        with atomic_dir(path) if self.partitioned else atomic_path(path) as written:
            yield written

    def write(self, frame: pd.DataFrame, table: Path, part: str) -> Path:
        """One part of `table` (a path from `table()` or inside a folder from `atomic_dir`)."""
        if self.partitioned:
            return write_part(frame, table, part)
        frame.to_parquet(table, index=False)
        return table

    def write_rows(
        self, frame: pd.DataFrame, table: Path, unit: int, batch_column: str | None
    ) -> list[Path]:
        """A unit's rows: as parts of at most `partition_rows` rows cut where the batch
        changes, or as the whole table."""
        if not self.partitioned:
            return [self.write(frame, table, PART.format(unit, 0))]
        pieces = chunks(frame, self.partition_rows, batch_column)
        return [
            write_part(piece, table, PART.format(unit, number))
            for number, piece in enumerate(pieces)
        ]

    def joblib_backend(self) -> contextlib.AbstractContextManager:
        """Where joblib's parallel work (a search's cross-validated fits) runs."""
        if not self.partitioned:
            return contextlib.nullcontext()
        import joblib

        return joblib.parallel_backend("dask")


@contextmanager
def runner_for(engine: Mapping) -> Iterator[Runner]:
    """The run's engine (`params.engine`); on Dask, connected to its cluster until exit."""
    rows = int(engine["partition_rows"])
    if engine["name"] != EngineName.dask:
        yield Runner(partitioned=False, partition_rows=rows)
        return
    with dask_client(engine):
        yield Runner(partitioned=True, partition_rows=rows)
