"""Stage validate: hold the raw tables to their contracts; write the interim tables."""

from collections import Counter

import pandas as pd
from omegaconf import DictConfig

from pipeline.config import ExtraColumns, Reports, table_file
from pipeline.contracts.apply import check, conclude
from pipeline.contracts.dataset import load_contracts, with_hashed
from pipeline.contracts.partitioned import part_schema, table_report
from pipeline.contracts.validating import Validating, validate_part
from pipeline.data.batches import batch_origins
from pipeline.data.sources import TableSet
from pipeline.engine.parts import offsets, part_files
from pipeline.engine.runner import runner_for
from pipeline.io import atomic_dir, write_json
from pipeline.plugins import load_object
from pipeline.stages.common import run_stage


def main(params: DictConfig) -> str:
    paths, dataset = params.paths, params.dataset
    report_file = Reports(paths).validation("validate")
    tables = TableSet.of(dataset)
    # Identifiers ingest hashed (privacy.hash) are text now, whatever the contract declared.
    contracts = with_hashed(load_contracts(dataset), list(params.privacy.hash))
    drop_extra = params.contract.extra_columns == ExtraColumns.drop
    raw = {name: part_files(table_file(paths.raw, name)) for name in tables.names}
    empty = {
        name: check(
            part_schema(contracts.raw[name], parts),
            pd.read_parquet(parts[0]).iloc[:0],
            "",
            drop_extra_columns=drop_extra,
        )[0]
        for name, parts in raw.items()
    }
    clean = load_object(dataset.clean, "dataset.clean") if dataset.clean else None
    with runner_for(params.engine) as runner, atomic_dir(paths.interim) as out:
        done = {}
        for name, parts in raw.items():
            how = Validating(
                table=name,
                raw=part_schema(contracts.raw[name], parts),
                interim=part_schema(contracts.interim[name], parts),
                raw_source=str(table_file(paths.raw, name)),
                interim_source=str(table_file(paths.interim, name)),
                empty=empty,
                clean=clean,
                options=dict(dataset.options),
                batch_column=tables.batch_column,
                drop_extra_columns=drop_extra,
            )
            with runner.table(table_file(out, name)) as written:
                done[name] = runner.run(
                    [
                        (validate_part, how, runner, part, offset, written)
                        for part, offset in zip(parts, offsets(parts), strict=True)
                    ]
                )
        # A failure names the batch and the landed file it came from, not only this table.
        origins = batch_origins(Reports(paths).ingest)
        report = conclude(
            [
                table_report(
                    [part.raw for part in done[name]],
                    contracts.raw[name],
                    raw[name],
                    str(table_file(paths.raw, name)),
                    tables.batch_column,
                )
                for name in tables.names
            ],
            report_file,
            origins,
        )
        interim = conclude(
            [
                table_report(
                    [part.interim for part in done[name]],
                    contracts.interim[name],
                    part_files(table_file(out, name)),
                    str(table_file(paths.interim, name)),
                    tables.batch_column,
                )
                for name in tables.names
            ],
            report_file,
            None,
        )
    repairs: Counter = Counter()  # update keeps a repair counted zero times; + would not
    for part in (part for parts in done.values() for part in parts):
        repairs.update(part.repairs)
    write_json(report | {"repairs": dict(repairs)}, report_file)
    dropped = sorted({c for table in report["tables"] for c in table.get("dropped_columns", [])})
    return (
        ", ".join(f"{interim['rows'][name]:,} {name} rows" for name in tables.names)
        + " valid"
        + "".join(f"; {key.replace('_', ' ')}: {count}" for key, count in repairs.items())
        + (f"; unknown column(s) {dropped} dropped" if dropped else "")
    )


if __name__ == "__main__":
    run_stage("validate", main)
