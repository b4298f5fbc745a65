"""Stage validate: hold the raw tables to their contracts; write the interim tables."""

from omegaconf import DictConfig

from pipeline.config import ExtraColumns, Reports
from pipeline.contracts.dataset import load_contracts, with_hashed
from pipeline.contracts.validating import validate_tables
from pipeline.data.batches import batch_origins
from pipeline.data.sources import TableSet
from pipeline.engine.runner import runner_for
from pipeline.io import write_json
from pipeline.plugins import load_object
from pipeline.stages.common import run_stage


def main(params: DictConfig) -> str:
    paths, dataset = params.paths, params.dataset
    report_file = Reports(paths).validation("validate")
    tables = TableSet.of(dataset)
    # Identifiers ingest hashed (privacy.hash) are text now, whatever the contract declared.
    contracts = with_hashed(load_contracts(dataset), list(params.privacy.hash))
    with runner_for(params.engine) as runner:
        validated = validate_tables(
            runner,
            contracts,
            raw_dir=paths.raw,
            interim_dir=paths.interim,
            names=tables.names,
            batch_column=tables.batch_column,
            clean=load_object(dataset.clean, "dataset.clean") if dataset.clean else None,
            options=dict(dataset.options),
            drop_extra_columns=params.contract.extra_columns == ExtraColumns.drop,
            report_file=report_file,
            # A failure names the batch and the landed file it came from, not only the table.
            origins=batch_origins(Reports(paths).ingest),
        )
    report, repairs = validated.raw, validated.repairs
    write_json(report | {"repairs": repairs}, report_file)
    rows = validated.interim["rows"]
    dropped = sorted({c for table in report["tables"] for c in table.get("dropped_columns", [])})
    return (
        ", ".join(f"{rows[name]:,} {name} rows" for name in tables.names)
        + " valid"
        + "".join(f"; {key.replace('_', ' ')}: {count}" for key, count in repairs.items())
        + (f"; unknown column(s) {dropped} dropped" if dropped else "")
    )


if __name__ == "__main__":
    run_stage("validate", main)
