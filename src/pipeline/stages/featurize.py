"""Stage featurize: one row per labelled example, the dataset's tables joined (its own code)."""

from collections.abc import Mapping
from pathlib import Path

import pandas as pd
import pandera.pandas as pa
from omegaconf import DictConfig

from pipeline.config import EngineName, table_file
from pipeline.contracts.apply import check, conclude, enforce
from pipeline.contracts.dataset import load_contracts, with_class_codes
from pipeline.contracts.partitioned import per_part, table_report
from pipeline.data.batches import BATCH_COLUMN, batch_origins
from pipeline.data.feature_table import feature_table
from pipeline.data.sources import TableSet
from pipeline.engine.cluster import dask_client, run_tasks
from pipeline.engine.parts import offsets, part_files, read_part, write_part
from pipeline.io import atomic_dir, write_json, write_parquet
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
    columns = list(dict.fromkeys([*inputs, *kept]))
    schema = load_contracts(dataset).features
    schema = with_class_codes(schema, dataset.target, class_list(dataset))
    # A failure names the batch and the landed file it came from, not only this table.
    origins = batch_origins(Path(paths.validation) / "ingest.json")
    if params.engine.name == EngineName.dask:
        with dask_client(params.engine):
            report, dropped, label = on_dask(params, tables, schema, columns, origins)
    else:
        report, dropped, label = in_memory(params, tables, schema, columns, origins)
    write_json(report | {"unlabelled_dropped": dropped}, Path(paths.validation) / "featurize.json")
    mean = label["sum"] / label["rows"] if label["rows"] else float("nan")
    shown = (
        f"{mean:.1%} {dataset.target}" if label["binary"] else f"{dataset.target} mean {mean:,.4g}"
    )
    return f"{label['rows']:,} rows ({dropped:,} without a label dropped), {shown}"


def in_memory(params, tables, schema, columns, origins) -> tuple[dict, int, dict]:
    """The pandas engine: the whole tables joined at once, written as one Parquet file."""
    paths, dataset = params.paths, params.dataset
    interim = {name: pd.read_parquet(table_file(paths.interim, name)) for name in tables.names}
    if dataset.featurize:
        joined = load_object(dataset.featurize, "dataset.featurize")(interim, dataset.options)
    else:
        joined = interim[tables.batch_table]
    features, dropped = feature_table(
        joined,
        batch_column=tables.batch_column,
        target=dataset.target,
        columns=columns,
        classes=class_list(dataset),
    )
    (features,), report = enforce(
        [(schema, features, paths.features)],
        Path(paths.validation) / "featurize.json",
        origins=origins,
        batch_column=BATCH_COLUMN,
    )
    write_parquet(features, paths.features)
    label = features[dataset.target]
    stats = {
        "rows": len(label),
        "sum": float(label.sum()),
        "binary": bool(label.isin([0, 1]).all()),
    }
    return report, dropped, stats


# --- engine=dask: one task per Parquet part ---------------------------------------------


def on_dask(
    params: Mapping,
    tables: TableSet,
    schema: pa.DataFrameSchema,
    columns: list[str],
    origins: dict[str, str],
) -> tuple[dict, int, dict]:
    """Each part of the batch table with the other tables whole (they are looked up, not
    scanned). Returns the features' table report, the unlabelled rows dropped, label stats."""
    paths, dataset = params["paths"], params["dataset"]
    parts = part_files(table_file(paths["interim"], tables.batch_table))
    others = {
        name: pd.read_parquet(table_file(paths["interim"], name))
        for name in tables.names
        if name != tables.batch_table
    }
    join = load_object(dataset["featurize"], "dataset.featurize") if dataset["featurize"] else None
    import dask

    shared = dask.delayed(others, pure=True)  # once in the graph, not once per part
    with atomic_dir(paths["features"]) as out:
        results = run_tasks(
            [
                (_featurize_part, part, offset, tables, shared, join, dict(dataset["options"]),
                 dataset["target"], class_list(dataset), columns, per_part(schema),
                 paths["features"], out)
                for part, offset in zip(parts, offsets(parts), strict=True)
            ]
        )  # fmt: skip
        report = table_report(
            [r[0] for r in results], schema, part_files(out), paths["features"], BATCH_COLUMN
        )
        report = conclude([report], Path(paths["validation"]) / "featurize.json", origins)
    labels = {
        "rows": sum(r[2]["rows"] for r in results),
        "sum": sum(r[2]["sum"] for r in results),
        "binary": all(r[2]["binary"] for r in results),
    }
    return report, sum(r[1] for r in results), labels


def _featurize_part(
    part, offset, tables, others, join, options, target, classes, columns, schema, source, folder
):  # fmt: skip
    frame = read_part(part, offset)
    joined = join({tables.batch_table: frame, **others}, options) if join else frame
    features, dropped = feature_table(
        joined, batch_column=tables.batch_column, target=target, columns=columns, classes=classes
    )
    checked, report = check(schema, features, source, batch_column=BATCH_COLUMN)
    write_part(checked, folder, part.name)
    label = checked[target] if report["valid"] else pd.Series(dtype=float)
    stats = {
        "rows": len(label),
        "sum": float(label.sum()),
        "binary": bool(label.isin([0, 1]).all()),
    }
    return report, dropped, stats


def class_list(dataset: Mapping) -> list | None:
    classes = dataset["classes"]
    return None if classes is None else list(classes)


if __name__ == "__main__":
    run_stage("featurize", main)
