"""Stage ingest: read the dataset's tables from the configured source into data/raw/."""

from __future__ import annotations

import contextlib
from collections import Counter
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd
from omegaconf import DictConfig

from pipeline.config import EngineName, table_file
from pipeline.data import privacy as private
from pipeline.data.batches import batch_order
from pipeline.data.privacy import protect
from pipeline.data.sources import (
    TableSet,
    landed_files,
    landing_glob,
    read_file,
    read_source,
    storable,
    union_columns,
)
from pipeline.engine.cluster import dask_client, run_tasks
from pipeline.engine.parts import PART, chunks, write_part
from pipeline.errors import InputError, PipelineError
from pipeline.io import atomic_dir, write_json
from pipeline.stages.common import run_stage


def main(params: DictConfig) -> str:
    report_file = Path(params.paths.validation) / "ingest.json"
    source, tables = params.source, TableSet.of(params.dataset)
    try:
        if params.engine.name == EngineName.dask:
            with dask_client(params.engine):
                ingested = on_dask(params, tables)
        else:
            ingested = in_memory(params, tables)
    except PipelineError as error:
        write_json({"valid": False, "source": source["kind"], "error": str(error)}, report_file)
        raise
    order = batch_order(ingested.batch_rows)
    write_json(
        {
            "valid": True,
            "source": source["kind"],
            "batch_table": tables.batch_table,
            "batch_count": len(order),
            "newest_batch": order[-1],
            "rows": ingested.rows,
            "batches": [
                {
                    "batch": batch,
                    "rows": int(ingested.batch_rows[batch]),
                    "origin": ingested.origins.get(batch),
                }
                for batch in order
            ],
            "privacy": ingested.privacy,
        },
        report_file,
    )
    others = [f"{ingested.rows[n]:,} {n} rows" for n in tables.names if n != tables.batch_table]
    span = (
        f"1 batch ({order[0]})"
        if len(order) == 1
        else f"{len(order)} batches ({order[0]}..{order[-1]})"
    )
    return (
        f"{ingested.rows[tables.batch_table]:,} {tables.batch_table} rows in {span} "
        f"from {source['kind']}" + "".join(f", {other}" for other in others)
    )


def in_memory(params: DictConfig, tables: TableSet) -> IngestCounts:
    """The pandas engine: every table read whole and written as one Parquet file."""
    ingested = read_source(params.source, tables, Path(params.paths.landing))
    privacy = protect(ingested.tables, params.privacy)
    frames = {name: storable(ingested.tables[name]) for name in tables.names}
    with atomic_dir(params.paths.raw) as out:
        for name, frame in frames.items():
            frame.to_parquet(table_file(out, name), index=False)
    batch_ids = frames[tables.batch_table][tables.batch_column].astype(str)
    return IngestCounts(
        rows={name: len(frame) for name, frame in frames.items()},
        batch_rows=Counter(batch_ids.value_counts().to_dict()),
        origins=ingested.origins,
        privacy=privacy,
    )


# --- engine=dask: one task per Parquet part ---------------------------------------------


@dataclass
class IngestCounts:
    """What ingest reports: rows per table, rows and origin per batch, privacy."""

    rows: dict[str, int]
    batch_rows: Counter = field(default_factory=Counter)
    origins: dict[str, str] = field(default_factory=dict)
    privacy: dict = field(default_factory=dict)


def on_dask(params: Mapping, tables: TableSet) -> IngestCounts:
    """Landed files are read one per task; another source is read whole, then partitioned."""
    source, rows = params["source"], params["engine"]["partition_rows"]
    landing, out_dir = Path(params["paths"]["landing"]), params["paths"]["raw"]
    if source["kind"] != "files":
        ingested = read_source(source, tables, landing)
        privacy = private.protect(ingested.tables, params["privacy"])
        done = IngestCounts({}, origins=ingested.origins, privacy=privacy)
        with atomic_dir(out_dir) as out:
            for name in tables.names:
                frame = storable(ingested.tables[name])
                done.rows[name] = len(frame)
                batch = tables.batch_column if name == tables.batch_table else None
                for index, piece in enumerate(chunks(frame, rows, batch)):
                    write_part(piece, table_file(out, name), PART.format(0, index))
                if batch:
                    done.batch_rows.update(frame[batch].astype(str).value_counts().to_dict())
        return done
    files = _landed(landing, tables, source["tables"])
    # The columns of every file, from their headers, so privacy can name an unknown one.
    present = {c for paths in files.values() for p in paths for c in _header(p, source["csv"])}
    salt = private.salt_for(params["privacy"], present)
    done = IngestCounts({}, privacy=private.summary(params["privacy"]))
    with atomic_dir(out_dir) as out:
        for name, paths in files.items():
            folder = table_file(out, name)
            batch = tables if name == tables.batch_table else None
            results = run_tasks(
                [
                    (_ingest_file, path, path.resolve(), index, source["csv"], batch,
                     dict(params["privacy"]), salt, rows, folder)
                    for index, path in enumerate(paths)
                ]
            )  # fmt: skip
            _conform(paths, results)
            done.rows[name] = sum(result["rows"] for result in results)
            for path, result in zip(paths, results, strict=True):
                done.batch_rows.update(result["batch_rows"])
                done.origins |= dict.fromkeys(result["batch_rows"], str(path))
    return done


def _landed(landing: Path, tables: TableSet, globs: Mapping) -> dict[str, list[Path]]:
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


def _ingest_file(path, absolute, index, csv, tables, privacy, salt, rows, folder) -> dict:
    """One landed file; `tables` is given for the batch table's files, whose rows get their
    batch id."""
    try:  # read where the worker runs; name the file as the repository does
        frame = read_file(absolute, csv)
    except InputError as error:
        raise InputError(str(error).replace(str(absolute), str(path))) from None
    batch = tables.batch_column if tables else None
    if tables:
        frame = tables.with_batch_id(frame, str(path), path.stem)
    frame = storable(private.apply(frame, privacy, salt))
    parts = []
    for number, piece in enumerate(chunks(frame, rows, batch)):
        parts.append(str(write_part(piece, folder, PART.format(index, number))))
    counts = frame[batch].dropna().astype(str).value_counts().to_dict() if batch else {}
    types = {column: str(dtype) for column, dtype in frame.dtypes.items()}
    return {"rows": len(frame), "batch_rows": counts, "parts": parts, "types": types}


def _conform(paths: list[Path], results: list[dict]) -> None:
    """The parts of one table as concatenating its files in pandas gives them: a later file
    may add a column (missing in earlier parts) but not lose one, and a column whose type
    differs between files becomes float (numbers of different kinds) or text."""
    columns = union_columns(
        [(path, list(result["types"])) for path, result in zip(paths, results, strict=True)]
    )
    kinds: dict[str, set[str]] = {}
    for result in results:
        for column, kind in result["types"].items():
            kinds.setdefault(column, set()).add(kind)
    target = {
        c: "float64" if all(k.startswith(("int", "float")) for k in ks) else "str"
        for c, ks in kinds.items()
        if len(ks) > 1 or any(c not in r["types"] for r in results)
    }
    for result in results:
        if list(result["types"]) == columns and not target:
            continue
        for part in result["parts"]:
            frame = pd.read_parquet(part).reindex(columns=columns)
            for column, kind in target.items():
                values = frame[column]
                frame[column] = (
                    values.astype("float64")
                    if kind == "float64"
                    else values.astype("str").where(values.notna())
                )
            frame.to_parquet(part, index=False)


if __name__ == "__main__":
    run_stage("ingest", main)
