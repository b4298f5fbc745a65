"""Stage featurize: one row per labelled example, the dataset's tables joined (its own code)."""

from collections.abc import Mapping

import pandas as pd
from omegaconf import DictConfig

from pipeline.config import Reports, table_file
from pipeline.contracts.apply import conclude
from pipeline.contracts.dataset import load_contracts, with_class_codes
from pipeline.contracts.partitioned import part_schema, table_report
from pipeline.data.batches import BATCH_COLUMN, batch_origins
from pipeline.data.feature_table import Featurizing, featurize_part
from pipeline.data.sources import TableSet
from pipeline.engine.parts import offsets, part_files
from pipeline.engine.runner import runner_for
from pipeline.io import write_json
from pipeline.modeling.inputs import input_columns
from pipeline.plugins import load_object
from pipeline.stages.common import run_stage


def main(params: DictConfig) -> str:
    paths, dataset = params.paths, params.dataset
    tables = TableSet.of(dataset)
    inputs = input_columns(
        list(dataset.features.categorical), list(dataset.features.numeric), dataset.derived
    )
    # Slice and group columns are kept for evaluate and analyze even when the model
    # does not use them (a protected attribute usually must not be a feature).
    kept = [*dataset.slices, *dataset.analysis.groups]
    schema = load_contracts(dataset).features
    schema = with_class_codes(schema, dataset.target, class_list(dataset))
    parts = part_files(table_file(paths.interim, tables.batch_table))
    how = Featurizing(
        batch_table=tables.batch_table,
        batch_column=tables.batch_column,
        join=load_object(dataset.featurize, "dataset.featurize") if dataset.featurize else None,
        options=dict(dataset.options),
        target=dataset.target,
        classes=class_list(dataset),
        columns=list(dict.fromkeys([*inputs, *kept])),
        schema=part_schema(schema, parts),
        source=paths.features,
    )
    others = {
        name: pd.read_parquet(table_file(paths.interim, name))
        for name in tables.names
        if name != tables.batch_table
    }
    report_file = Reports(paths).validation("featurize")
    with runner_for(params.engine) as runner, runner.table(paths.features) as out:
        shared = runner.shared(others)
        done = runner.run(
            [
                (featurize_part, how, runner, part, offset, shared, out)
                for part, offset in zip(parts, offsets(parts), strict=True)
            ]
        )
        table = table_report(
            [part.report for part in done], schema, part_files(out), paths.features, BATCH_COLUMN
        )
        # A failure names the batch and the landed file it came from, not only this table.
        report = conclude([table], report_file, batch_origins(Reports(paths).ingest))
    unlabelled, rows = sum(part.unlabelled for part in done), sum(part.rows for part in done)
    write_json(report | {"unlabelled_dropped": unlabelled}, report_file)
    mean = sum(part.label_sum for part in done) / rows if rows else float("nan")
    binary = all(part.binary for part in done)
    shown = f"{mean:.1%} {dataset.target}" if binary else f"{dataset.target} mean {mean:,.4g}"
    return f"{rows:,} rows ({unlabelled:,} without a label dropped), {shown}"


def class_list(dataset: Mapping) -> list | None:
    classes = dataset["classes"]
    return None if classes is None else list(classes)


if __name__ == "__main__":
    run_stage("featurize", main)
