"""New data arriving: a new batch lands where the source reads it.

`python -m pipeline.cli new-batch --month 7` asks the dataset's `new_batch` reader for that
batch (the example: real July 2013), writes it as files in data/landing/ (or appends it to the
SQL tables) and runs `dvc add data/landing`, so git records the arrival as a change of
data/landing.dvc: the event a retraining workflow reacts to.
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd
from omegaconf import DictConfig

from pipeline import progress, vcs
from pipeline.data.sources import landing_glob, sql_url
from pipeline.errors import ConfigError
from pipeline.io import atomic_path
from pipeline.plugins import load_object


def land_months(params: DictConfig, months: list[int], file_format: str = "parquet") -> list[str]:
    """Land the dataset's batches for `months`, then version the landing folder."""
    written = []
    for month in months:
        progress.step(f"landing batch {month} from {params.dataset.new_batch}")
        written += land_month(params, month, file_format)
    landing = Path(params.paths.landing).resolve()
    if any(Path(path).resolve().is_relative_to(landing) for path in written):
        progress.step(f"dvc add {params.paths.landing}")
        dvc_add(Path(params.paths.landing))
    return written


def land_month(params: DictConfig, month: int, file_format: str = "parquet") -> list[str]:
    """Land one batch from the dataset's `new_batch` reader; return the files or tables written."""
    dataset = params.dataset
    if not dataset.new_batch:
        raise ConfigError(
            "dataset.new_batch is not set: this dataset has no reader of new batches. Land each "
            "new file with `pipeline land FILE` (make land FILE=...), or put it in "
            f"{params.paths.landing}/<table>/ and run `dvc add {params.paths.landing}`"
        )
    batch, tables = load_object(dataset.new_batch, "dataset.new_batch")(month)
    if params.source.kind == "sql":
        return append_to_sql(params.source, tables, batch, dataset.batch)
    if params.source.kind == "python" and batch in params.source.batches:
        raise ConfigError(
            f"{batch} is already read by source.reader (source.batches); "
            "land a batch after the newest one"
        )
    landing = Path(params.paths.landing)
    return write_files(landing, params.source.tables, tables, batch, file_format)


def write_files(
    landing: Path, globs: DictConfig, tables: dict[str, pd.DataFrame], batch: str, file_format: str
) -> list[str]:
    if file_format not in ("parquet", "csv"):
        raise ConfigError(f"--format {file_format}: expected parquet or csv")
    folders = {name: landing / Path(landing_glob(globs, name)).parent for name in tables}
    targets = {name: folders[name] / f"{batch}.{file_format}" for name in tables}
    for name in tables:
        existing = sorted(folders[name].glob(f"{batch}.*"))
        if existing:
            raise ConfigError(f"{batch} has already landed: {existing[0]}")
    for name, frame in tables.items():
        with atomic_path(targets[name]) as tmp:
            if file_format == "csv":
                frame.to_csv(tmp, index=False)
            else:
                frame.to_parquet(tmp, index=False)
    return [str(path) for path in targets.values()]


def append_to_sql(
    source: DictConfig, tables: dict[str, pd.DataFrame], batch: str, batched: DictConfig
) -> list[str]:
    import sqlalchemy as sa

    names = {name: source.tables.get(name) or name for name in tables}
    queries = [name for name, table in names.items() if not table.isidentifier()]
    if queries:
        raise ConfigError(
            f"source.tables.{queries[0]} is a query; new-batch appends to tables only"
        )
    url = sql_url(source)
    parsed = sa.engine.make_url(url)
    database = parsed.database if parsed.get_backend_name() == "sqlite" else None
    if database:
        Path(database).parent.mkdir(parents=True, exist_ok=True)
    engine = sa.create_engine(url)
    try:
        with engine.begin() as connection:  # one transaction: both tables or neither
            table, column = names[batched.table], batched.column
            if sa.inspect(connection).has_table(table):
                present = connection.execute(
                    sa.text(f'SELECT 1 FROM "{table}" WHERE "{column}" = :b LIMIT 1'),
                    {"b": batch},
                ).first()
                if present:
                    raise ConfigError(f"{batch} is already in table {table}")
            for name, frame in tables.items():
                frame.to_sql(names[name], connection, if_exists="append", index=False)
    finally:
        engine.dispose()
    return [database] if database else [parsed.render_as_string(hide_password=True)]


def dvc_add(folder: Path) -> None:
    """Version the landing folder: its .dvc file changes, and git stages it. A failure is a
    ToolError with dvc's reason (nothing of dvc's output reaches the terminal)."""
    vcs.dvc("add", folder)
