"""`pipeline land FILE`: the next batch of a team's own data, checked, landed and versioned.

For a dataset read by the files source (what `pipeline init` writes). The file (CSV or Parquet,
read by ingest's own readers) is held to the dataset's raw contract, on its own and together
with the batches already landed, before anything is written; then it is copied into the batch
table's folder of data/landing/ as the newest batch and `dvc add data/landing` versions it.
A refusal, or a failed `dvc add`, leaves the landing folder as it was.
"""

from __future__ import annotations

import re
import shutil
import tempfile
from dataclasses import dataclass
from pathlib import Path, PurePosixPath

import pandas as pd
from omegaconf import DictConfig

from pipeline import progress
from pipeline.config import ExtraColumns
from pipeline.contracts.apply import check, summarize
from pipeline.contracts.dataset import load_contracts
from pipeline.data.batches import batch_order
from pipeline.data.landing import dvc_add
from pipeline.data.sources import (
    TableSet,
    batch_ids,
    concat_same_columns,
    landed_files,
    landing_glob,
    read_file,
)
from pipeline.errors import ConfigError, ContractError, InputError, PipelineError
from pipeline.io import atomic_path

SAFE_FILE_NAME = re.compile(r"^[A-Za-z0-9_][A-Za-z0-9_.-]*$")


@dataclass(frozen=True, eq=False)
class LandedFile:
    """A file already in the batch table's folder, read as ingest reads it."""

    path: Path
    rows: pd.DataFrame  # with the batch column
    batches: list[str]


@dataclass(frozen=True)
class Landed:
    """What `land_file` did."""

    batch: str
    path: Path
    rows: int
    replaced: list[Path]


def land_file(params: DictConfig, path: Path, batch: str | None, replace: bool) -> Landed:
    """Check `path` and land it as the next batch (or in place of a landed one, `replace`)."""
    source, landing = params.source, Path(params.paths.landing)
    tables, glob = batch_table(params)
    table, column = tables.batch_table, tables.batch_column
    progress.step(f"reading {path}")
    rows, batch = batch_of(read_file(path, source.csv), path, tables, batch)
    landed = read_landed_files(landing, glob, source.csv, tables)
    replaced = [file for file in landed if batch in file.batches]
    refuse_out_of_order(batch, landed, replaced, replace, path)
    target = target_file(landing, table, glob, batch, path.suffix)
    if target.exists() and target not in [file.path for file in replaced]:
        raise InputError(f"{target} exists and holds other batches: rename one of the two")

    progress.step(f"checking {path} against the raw {table} contract")
    kept = [file for file in landed if file not in replaced]
    check_contract(params, table, column, path, rows, kept)

    progress.step(f"landing batch {batch} in {target.parent}/")
    write_with_rollback(path, target, [file.path for file in replaced], landing)
    return Landed(batch, target, len(rows), [file.path for file in replaced])


def batch_table(params: DictConfig) -> tuple[TableSet, str]:
    """The dataset's tables (one) and the landing glob of that table; ConfigError for a
    dataset `land` cannot serve."""
    source, landing = params.source, params.paths.landing
    if source.kind != "files":
        raise ConfigError(
            f"source={source.kind}: `land` adds a file where the files source reads it. "
            + (
                "The example's new batches come from its reader: make new-batch MONTH=7"
                if source.kind == "python"
                else "Append the batch to the source's tables instead"
            )
        )
    tables = TableSet.of(params.dataset)
    if len(tables.names) > 1:
        raise ConfigError(
            f"dataset {params.dataset.name} has tables {tables.names}: `land` lands a dataset "
            f"of one table; put each table's file in {landing}/<table>/ and run "
            f"`dvc add {landing}`"
        )
    return tables, landing_glob(source.tables, tables.batch_table)


def target_file(landing: Path, table: str, glob: str, batch: str, suffix: str) -> Path:
    """Where the batch lands: named after it, in the folder of the table's glob."""
    folder = PurePosixPath(glob).parent
    name = f"{batch if SAFE_FILE_NAME.match(batch) else safe_stem(batch)}{suffix}"
    if any(char in str(folder) for char in "*?[") or not (folder / name).match(glob):
        raise ConfigError(
            f"source.tables.{table}={glob!r}: a file named {name} in {landing / folder} would "
            f"not be read as one; land it by hand and run `dvc add {landing}`"
        )
    return landing / folder / name


def batch_of(
    rows: pd.DataFrame, path: Path, tables: TableSet, given: str | None
) -> tuple[pd.DataFrame, str]:
    """The rows with their batch id, and the id: as ingest reads a landed file (the period of
    the batch date, else the batch column, which must hold one id), else --batch or the
    file's name."""
    column = tables.batch_column
    if tables.batch_date is None and column not in rows.columns:
        batch = given if given is not None else path.stem
        if not SAFE_FILE_NAME.match(batch):
            raise InputError(
                f"batch id {batch!r}: the file has no {column!r} column, so its landed name is "
                "its batch id: use letters, digits, _ . and - (--batch 2025-01)"
            )
        return tables.with_batch_id(rows, str(path), batch), batch
    rows = tables.with_batch_id(rows, str(path), None)
    source = (
        f"column {column!r}"
        if tables.batch_date is None
        else (f"column {tables.batch_date!r} by {tables.batch_by}")
    )
    ids = batch_order(batch_ids(rows, column))
    if len(ids) != 1:
        shown = ", ".join(ids[:5]) + (", ..." if len(ids) > 5 else "")
        raise InputError(
            f"{path}: {source} (the batch id) gives "
            + (f"{len(ids)} batches ({shown}): land one batch per file" if ids else "no batch")
        )
    if given is not None and given != ids[0]:
        raise InputError(
            f"{path}: --batch {given}, but its {source} says {ids[0]}: ingest takes the "
            "file's; drop --batch or correct the file"
        )
    return rows, ids[0]


def safe_stem(batch: str) -> str:
    """A batch id as a file name (the file carries the id in its batch column)."""
    return re.sub(r"[^A-Za-z0-9_.-]+", "_", batch).strip("._") or "batch"


def read_landed_files(landing: Path, glob: str, csv, tables: TableSet) -> list[LandedFile]:
    """Every file of the batch table's glob, oldest first, with the batches ingest sees in it."""
    files = []
    for path in landed_files(landing, glob):
        rows = tables.with_batch_id(read_file(path, csv), str(path), path.stem)
        files.append(LandedFile(path, rows, batch_ids(rows, tables.batch_column)))
    return files


def refuse_out_of_order(
    batch: str, landed: list[LandedFile], replaced: list[LandedFile], replace: bool, path: Path
) -> None:
    """A new batch must be the newest: the newest batch is the one the model is checked on."""
    existing = batch_order(b for file in landed for b in file.batches)
    if replaced and not replace:
        raise InputError(
            f"{path}: batch {batch} has landed already ({replaced[0].path}): --replace replaces it"
        )
    mixed = [file for file in replaced if file.batches != [batch]]
    if mixed:
        raise InputError(
            f"{path}: --replace {batch}: {mixed[0].path} holds other batches too "
            f"({', '.join(b for b in mixed[0].batches if b != batch)}): replace it by hand"
        )
    if not replaced and existing and batch_order([*existing, batch])[-1] != batch:
        raise InputError(
            f"{path}: batch {batch} would not be the newest (landed: {existing[0]}.."
            f"{existing[-1]}): the newest batch is the one the model is checked on, so a new "
            f"batch sorts after {existing[-1]}; name it with --batch, or --replace a landed one"
        )


def check_contract(
    params: DictConfig,
    table: str,
    column: str,
    path: Path,
    rows: pd.DataFrame,
    kept: list[LandedFile],
) -> None:
    """The raw contract on the file alone, then on every batch ingest would read with it
    (a key unique across batches); ContractError names file, column, rule and rows."""
    schema = load_contracts(params.dataset).raw[table]
    drop_extra = params.contract.extra_columns == ExtraColumns.drop
    dropped = list(params.privacy.drop)  # ingest drops them before validate sees the table

    def refuse_unless_valid(frame: pd.DataFrame, label: str) -> None:
        frame = frame.drop(columns=[c for c in dropped if c in frame.columns])
        _, report = check(schema, frame, label, drop_extra_columns=drop_extra, batch_column=column)
        if not report["valid"]:
            raise ContractError(summarize(report, {}), report)

    refuse_unless_valid(rows, str(path))
    if kept:
        together = concat_same_columns([*((f.path, f.rows) for f in kept), (path, rows)])
        refuse_unless_valid(together, f"{path} with the {len(kept)} landed file(s)")


def write_with_rollback(source: Path, target: Path, replaced: list[Path], landing: Path) -> None:
    """Copy `source` to `target` in place of `replaced`, then `dvc add` the landing folder;
    if that fails, put everything back as it was."""
    target.parent.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(dir=landing.parent, prefix=".land-") as backup:
        kept = [Path(backup) / str(index) for index in range(len(replaced))]
        for old, copy in zip(replaced, kept, strict=True):
            shutil.move(old, copy)
        try:
            with atomic_path(target) as tmp:
                shutil.copyfile(source, tmp)
            dvc_add(landing)
        except (OSError, PipelineError) as error:
            target.unlink(missing_ok=True)
            for old, copy in zip(replaced, kept, strict=True):
                shutil.move(copy, old)
            raise PipelineError(f"{error}; nothing landed, {landing} is as it was") from None
