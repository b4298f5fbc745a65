"""Stage featurize: one row per labelled example, the dataset's tables joined (its own code)."""

from pathlib import Path

import pandas as pd
from omegaconf import DictConfig

from pipeline.config import table_file
from pipeline.contracts.apply import enforce
from pipeline.contracts.dataset import load_contracts
from pipeline.data.batches import BATCH_COLUMN, batch_origins
from pipeline.data.feature_table import feature_table
from pipeline.data.sources import TableSet
from pipeline.io import write_json, write_parquet
from pipeline.modeling.inputs import input_columns
from pipeline.plugins import load_object
from pipeline.stages.common import run_stage


def main(params: DictConfig) -> str:
    paths, dataset = params.paths, params.dataset
    tables = TableSet.of(dataset)
    interim = {name: pd.read_parquet(table_file(paths.interim, name)) for name in tables.names}
    if dataset.featurize:
        joined = load_object(dataset.featurize, "dataset.featurize")(interim, dataset.options)
    else:
        joined = interim[tables.batch_table]
    inputs = input_columns(
        list(dataset.features.categorical), list(dataset.features.numeric), dataset.derived
    )
    features, dropped = feature_table(
        joined,
        batch_column=tables.batch_column,
        target=dataset.target,
        columns=[*inputs, *(s for s in dataset.slices if s not in inputs)],
    )
    report_file = Path(paths.validation) / "featurize.json"
    # A failure names the batch and the landed file it came from, not only this table.
    (features,), report = enforce(
        [(load_contracts(dataset).features, features, paths.features)],
        report_file,
        origins=batch_origins(Path(paths.validation) / "ingest.json"),
        batch_column=BATCH_COLUMN,
    )
    write_parquet(features, paths.features)
    write_json(report | {"unlabelled_dropped": dropped}, report_file)
    label = features[dataset.target]
    shown = (
        f"{label.mean():.1%} {dataset.target}"
        if label.isin([0, 1]).all()
        else f"{dataset.target} mean {label.mean():,.4g}"
    )
    return f"{len(features):,} rows ({dropped:,} without a label dropped), {shown}"


if __name__ == "__main__":
    run_stage("featurize", main)
