"""Stage validate: hold the raw tables to their contracts; write the interim tables."""

from collections import Counter
from collections.abc import Mapping
from pathlib import Path

import pandas as pd
from omegaconf import DictConfig

from pipeline.config import EngineName, ExtraColumns, table_file
from pipeline.contracts.apply import check, conclude, enforce
from pipeline.contracts.dataset import load_contracts, with_hashed
from pipeline.contracts.partitioned import per_part, table_report
from pipeline.data.batches import batch_origins
from pipeline.data.sources import TableSet
from pipeline.engine.cluster import dask_client, run_tasks
from pipeline.engine.parts import offsets, part_files, read_part, write_part
from pipeline.io import atomic_dir, write_json
from pipeline.plugins import load_object
from pipeline.stages.common import run_stage


def main(params: DictConfig) -> str:
    paths = params.paths
    report_file = Path(paths.validation) / "validate.json"
    tables = TableSet.of(params.dataset)
    # Identifiers ingest hashed (privacy.hash) are text now, whatever the contract declared.
    contracts = with_hashed(load_contracts(params.dataset), list(params.privacy.hash))
    drop_extra = params.contract.extra_columns == ExtraColumns.drop
    origins = batch_origins(Path(paths.validation) / "ingest.json")
    if params.engine.name == EngineName.dask:
        with dask_client(params.engine):
            report, interim, repairs = on_dask(
                params, tables, contracts, report_file, origins, drop_extra
            )
    else:
        report, interim, repairs = in_memory(
            params, tables, contracts, report_file, origins, drop_extra
        )
    write_json(report | {"repairs": dict(repairs)}, report_file)
    dropped = sorted({c for table in report["tables"] for c in table.get("dropped_columns", [])})
    return (
        ", ".join(f"{interim['rows'][name]:,} {name} rows" for name in tables.names)
        + " valid"
        + "".join(f"; {key.replace('_', ' ')}: {count}" for key, count in repairs.items())
        + (f"; unknown column(s) {dropped} dropped" if dropped else "")
    )


def in_memory(params, tables, contracts, report_file, origins, drop_extra):
    """The pandas engine: whole tables; returns the raw and interim reports and the repairs."""
    paths, dataset = params.paths, params.dataset
    raw = {name: pd.read_parquet(table_file(paths.raw, name)) for name in tables.names}
    checked, report = enforce(
        [(contracts.raw[name], raw[name], str(table_file(paths.raw, name))) for name in raw],
        report_file,
        drop_extra_columns=drop_extra,
        origins=origins,
        batch_column=tables.batch_column,
    )
    interim, repairs = dict(zip(raw, checked, strict=True)), {}
    if dataset.clean:
        interim, repairs = load_object(dataset.clean, "dataset.clean")(interim, dataset.options)
    checked, interim_report = enforce(
        [(contracts.interim[n], interim[n], str(table_file(paths.interim, n))) for n in interim],
        report_file,
        batch_column=tables.batch_column,
    )
    with atomic_dir(paths.interim) as out:
        for name, frame in zip(interim, checked, strict=True):
            frame.to_parquet(table_file(out, name), index=False)
    return report, interim_report, repairs


# --- engine=dask: one task per Parquet part ---------------------------------------------


def on_dask(
    params: Mapping,
    tables: TableSet,
    contracts,
    report_file: Path,
    origins: dict[str, str],
    drop_extra_columns: bool,
) -> tuple[dict, dict, dict[str, int]]:
    """Raw contracts, the dataset's clean, interim contracts, part by part.

    Returns the raw and the interim reports, and the repairs added up over the parts.
    """
    paths, dataset = params["paths"], params["dataset"]
    raw_parts = {name: part_files(table_file(paths["raw"], name)) for name in tables.names}
    empty = {
        name: check(
            per_part(contracts.raw[name]),
            pd.read_parquet(parts[0]).iloc[:0],
            "",
            drop_extra_columns=drop_extra_columns,
        )[0]
        for name, parts in raw_parts.items()
    }
    clean = load_object(dataset["clean"], "dataset.clean") if dataset["clean"] else None
    with atomic_dir(paths["interim"]) as out:
        results = {}
        for name, parts in raw_parts.items():
            results[name] = run_tasks(
                [
                    (_validate_part, part, offset, name, per_part(contracts.raw[name]),
                     per_part(contracts.interim[name]), empty, clean, dict(dataset["options"]),
                     str(table_file(paths["raw"], name)),
                     str(table_file(paths["interim"], name)), table_file(out, name),
                     tables.batch_column, drop_extra_columns)
                    for part, offset in zip(parts, offsets(parts), strict=True)
                ]
            )  # fmt: skip
        raw_report = conclude(
            [
                table_report(
                    [r[0] for r in results[name]],
                    contracts.raw[name],
                    raw_parts[name],
                    str(table_file(paths["raw"], name)),
                    tables.batch_column,
                )
                for name in tables.names
            ],
            report_file,
            origins,
        )
        interim_report = conclude(
            [
                table_report(
                    [r[1] for r in results[name]],
                    contracts.interim[name],
                    part_files(table_file(out, name)),
                    str(table_file(paths["interim"], name)),
                    tables.batch_column,
                )
                for name in tables.names
            ],
            report_file,
            None,
        )
    repairs: Counter = Counter()
    for name in tables.names:
        for result in results[name]:
            repairs.update(result[2])
    return raw_report, interim_report, dict(repairs)


def _validate_part(
    part, offset, name, raw_schema, interim_schema, empty, clean, options, raw_source,
    interim_source, folder, batch_column, drop_extra_columns,
):  # fmt: skip
    frame = read_part(part, offset)
    checked, raw = check(
        raw_schema,
        frame,
        raw_source,
        drop_extra_columns=drop_extra_columns,
        batch_column=batch_column,
    )
    if not raw["valid"]:
        return raw, None, {}
    interim, repairs = {name: checked}, {}
    if clean:
        # The other tables are empty here: clean runs row by row, a part at a time.
        interim, repairs = clean({**empty, name: checked}, options)
    checked, report = check(
        interim_schema, interim[name], interim_source, batch_column=batch_column
    )
    write_part(checked, folder, part.name)
    return raw, report, repairs


if __name__ == "__main__":
    run_stage("validate", main)
