"""Stage validate: hold the raw tables to their contracts; write the interim tables."""

from pathlib import Path

import pandas as pd
from omegaconf import DictConfig

from pipeline.config import ExtraColumns, table_file
from pipeline.contracts.apply import enforce
from pipeline.contracts.dataset import load_contracts, with_hashed
from pipeline.data.batches import batch_origins
from pipeline.data.sources import TableSet
from pipeline.io import atomic_dir, write_json
from pipeline.plugins import load_object
from pipeline.stages.common import run_stage


def main(params: DictConfig) -> str:
    paths, dataset = params.paths, params.dataset
    report_file = Path(paths.validation) / "validate.json"
    tables = TableSet.of(dataset)
    # Identifiers ingest hashed (privacy.hash) are text now, whatever the contract declared.
    contracts = with_hashed(load_contracts(dataset), list(params.privacy.hash))
    raw = {name: pd.read_parquet(table_file(paths.raw, name)) for name in tables.names}
    checked, report = enforce(
        [(contracts.raw[name], raw[name], str(table_file(paths.raw, name))) for name in raw],
        report_file,
        drop_extra_columns=params.contract.extra_columns == ExtraColumns.drop,
        origins=batch_origins(Path(paths.validation) / "ingest.json"),
        batch_column=tables.batch_column,
    )
    interim, repairs = dict(zip(raw, checked, strict=True)), {}
    if dataset.clean:
        interim, repairs = load_object(dataset.clean, "dataset.clean")(interim, dataset.options)
    checked, _ = enforce(
        [(contracts.interim[n], interim[n], str(table_file(paths.interim, n))) for n in interim],
        report_file,
        batch_column=tables.batch_column,
    )
    with atomic_dir(paths.interim) as out:
        for name, frame in zip(interim, checked, strict=True):
            frame.to_parquet(table_file(out, name), index=False)
    write_json(report | {"repairs": dict(repairs)}, report_file)
    dropped = sorted({c for table in report["tables"] for c in table.get("dropped_columns", [])})
    return (
        ", ".join(
            f"{len(frame):,} {name} rows" for name, frame in zip(interim, checked, strict=True)
        )
        + " valid"
        + "".join(f"; {key.replace('_', ' ')}: {count}" for key, count in repairs.items())
        + (f"; unknown column(s) {dropped} dropped" if dropped else "")
    )


if __name__ == "__main__":
    run_stage("validate", main)
