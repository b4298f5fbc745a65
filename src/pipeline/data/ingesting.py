"""Ingest's work: the dataset's tables from their source to data/raw/, on either engine.

Landed files are read in units (engine/runner.py): all of a table's files at once on the
pandas engine, one file per task on Dask, each unit written as the table or as parts of it.
A source that is not files (a Python reader, SQL) is read whole, then written the same way.
Either way a table's rows are those that concatenating its files in order gives.
"""

from __future__ import annotations

import contextlib
from collections import Counter
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd

from pipeline.config import table_file
from pipeline.data import privacy as private
from pipeline.data.sources import (
    TableSet,
    batch_ids,
    concat_same_columns,
    landed_files,
    landing_glob,
    read_file,
    read_source,
    storable,
    union_columns,
)
from pipeline.engine.runner import Runner
from pipeline.errors import InputError
from pipeline.io import atomic_dir


@dataclass
class IngestCounts:
    """What ingest reports: rows per table, rows and origin per batch, privacy."""

    rows: dict[str, int] = field(default_factory=dict)
    batch_rows: Counter = field(default_factory=Counter)
    origins: dict[str, str] = field(default_factory=dict)
    privacy: dict = field(default_factory=dict)


@dataclass(frozen=True)
class Reading:
    """How every landed file of one table is read."""

    csv: Mapping  # source.csv: delimiter and encoding
    batches: TableSet | None  # given for the batch table, whose rows get their batch id
    privacy: Mapping
    salt: str | None


@dataclass(frozen=True)
class Unit:
    """What one unit of landed files became: its rows, batches, parts and column types."""

    rows: int
    batch_rows: dict[str, int]
    origins: dict[str, str]
    parts: list[Path]
    types: dict[str, str]


def ingest(
    runner: Runner,
    source: Mapping,
    tables: TableSet,
    landing: Path,
    privacy: Mapping,
    raw: str | Path,
) -> IngestCounts:
    """Every table of the dataset written under `raw` (atomically, all or none)."""
    if source["kind"] == "files":
        return _landed(runner, source, tables, landing, privacy, raw)
    ingested = read_source(source, tables, landing)
    done = IngestCounts(origins=ingested.origins, privacy=private.protect(ingested.tables, privacy))
    with atomic_dir(raw) as out:
        for name in tables.names:
            frame = storable(ingested.tables[name])
            batch = tables.batch_column if name == tables.batch_table else None
            runner.write_rows(frame, table_file(out, name), 0, batch)
            done.rows[name] = len(frame)
            if batch:
                done.batch_rows.update(batch_counts(frame, batch))
    return done


def _landed(
    runner: Runner, source: Mapping, tables: TableSet, landing: Path, privacy: Mapping, raw
) -> IngestCounts:
    files = _files(landing, tables, source["tables"])
    # The columns of every file, from their headers, so privacy can name an unknown one.
    present = {c for paths in files.values() for p in paths for c in _header(p, source["csv"])}
    salt = private.salt_for(privacy, present)
    done = IngestCounts(privacy=private.summary(privacy))
    with atomic_dir(raw) as out:
        for name, paths in files.items():
            table = table_file(out, name)
            batches = tables if name == tables.batch_table else None
            how = Reading(source["csv"], batches, dict(privacy), salt)
            # Absolute paths resolved here: a worker may run in another directory.
            units = runner.units([(path, path.resolve()) for path in paths])
            read = runner.run(
                [(read_unit, how, runner, unit, index, table) for index, unit in enumerate(units)]
            )
            _conform([unit[0][0] for unit in units], read)
            done.rows[name] = sum(unit.rows for unit in read)
            for unit in read:
                done.batch_rows.update(unit.batch_rows)
                done.origins |= unit.origins
    return done


def read_unit(
    how: Reading, runner: Runner, files: list[tuple[Path, Path]], index: int, table: Path
) -> Unit:
    """Landed files of one table (each as the repository names it, and its absolute path),
    read in order and written as unit `index` of `table`."""
    frames, origins = [], {}
    tables = how.batches
    for path, absolute in files:
        try:  # name the file as the repository does
            frame = read_file(absolute, how.csv)
        except InputError as error:
            raise InputError(str(error).replace(str(absolute), str(path))) from None
        if tables:
            frame = tables.with_batch_id(frame, str(path), path.stem)
            origins |= dict.fromkeys(batch_ids(frame, tables.batch_column), str(path))
        frames.append((path, frame))
    frame = storable(private.apply(concat_same_columns(frames), how.privacy, how.salt))
    batch = tables.batch_column if tables else None
    return Unit(
        rows=len(frame),
        batch_rows=batch_counts(frame, batch) if batch else {},
        origins=origins,
        parts=runner.write_rows(frame, table, index, batch),
        types={column: str(dtype) for column, dtype in frame.dtypes.items()},
    )


def batch_counts(frame: pd.DataFrame, column: str) -> dict[str, int]:
    """Rows per batch id, as text."""
    return frame[column].astype(str).value_counts().to_dict()


def _files(landing: Path, tables: TableSet, globs: Mapping) -> dict[str, list[Path]]:
    patterns = {name: landing_glob(globs, name) for name in tables.names}
    matched = {name: landed_files(landing, pattern) for name, pattern in patterns.items()}
    missing = [name for name in tables.names if not matched[name]]
    if missing:
        raise InputError(
            f"{landing}: no file for table(s) {missing} (globs: {patterns}); "
            f"land them with `dvc add {landing}`"
        )
    return matched


def _header(path: Path, csv: Mapping) -> list[str]:
    if path.suffix == ".parquet" and path.stat().st_size:
        import pyarrow.parquet as pq

        with contextlib.suppress(Exception):  # read_file names a corrupt file in its task
            return [c for c in pq.read_schema(path).names if c != "__index_level_0__"]
        return []
    if path.suffix == ".csv" and path.stat().st_size:
        with contextlib.suppress(Exception):
            return list(pd.read_csv(path, sep=csv["delimiter"], encoding=csv["encoding"], nrows=0))
    return []


def _conform(paths: list[Path], units: list[Unit]) -> None:
    """The parts of one table as concatenating its files in pandas gives them: a later file
    may add a column (missing in earlier parts) but not lose one, and a column whose type
    differs between files becomes float (numbers of different kinds) or text."""
    columns = union_columns(
        [(path, list(unit.types)) for path, unit in zip(paths, units, strict=True)]
    )
    kinds: dict[str, set[str]] = {}
    for unit in units:
        for column, kind in unit.types.items():
            kinds.setdefault(column, set()).add(kind)
    target = {
        c: "float64" if all(k.startswith(("int", "float")) for k in ks) else "str"
        for c, ks in kinds.items()
        if len(ks) > 1 or any(c not in u.types for u in units)
    }
    for unit in units:
        if list(unit.types) == columns and not target:
            continue
        for part in unit.parts:
            frame = pd.read_parquet(part).reindex(columns=columns)
            for column, kind in target.items():
                values = frame[column]
                frame[column] = (
                    values.astype("float64")
                    if kind == "float64"
                    else values.astype("str").where(values.notna())
                )
            frame.to_parquet(part, index=False)
