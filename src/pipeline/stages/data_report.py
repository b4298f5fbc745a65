"""Stage data_report: data quality and drift of the newest batch against the training window.

Needs no model, so changing the model does not rerun it. Writes two Evidently HTML reports,
the summary the gate reads (a DVC metric), per-column details and, per group of
dataset.analysis.groups, its share of rows and target rate (data_groups.json) under
reports/monitoring/. Reads its tables a batch of rows at a time (a file or a folder of
parts alike), so its memory does not grow with them.
"""

from pathlib import Path

from omegaconf import DictConfig

from pipeline.config import Reports
from pipeline.data.batches import BATCH_COLUMN
from pipeline.data.tables import StoredTable
from pipeline.io import write_json
from pipeline.modeling.inputs import input_columns
from pipeline.monitoring.composition import composition
from pipeline.monitoring.evidently_reports import write_data_reports
from pipeline.stages.common import run_stage


def main(params: DictConfig) -> str:
    paths, dataset = params.paths, params.dataset
    inputs = input_columns(
        list(dataset.features.categorical), list(dataset.features.numeric), dataset.derived
    )
    groups = list(dataset.analysis.groups)
    multiclass = str(dataset.task) == "multiclass"
    wanted = list(dict.fromkeys([BATCH_COLUMN, *inputs, *groups, dataset.target]))
    reference = StoredTable([paths.train, paths.holdout], wanted)  # read_training_window's rows
    current = StoredTable([paths.current], wanted)
    summary = write_data_reports(
        reference,
        current,
        dataset=dataset,
        report=params.report,
        seed=params.seed,
        out_dir=Path(paths.monitoring),
    )
    labels = list(dataset.classes or [])  # a multi-class target's labels, by code
    write_json(
        composition(
            reference,
            current,
            columns=groups,
            target=dataset.target,
            classes=dict(enumerate(labels)) if multiclass else None,
        ),
        Reports(paths).data_groups,
    )
    found = summary["drift"]
    if not current.rows:
        return f"no newest batch ({summary['waiting']}); {reference.rows:,} reference rows"
    return (
        f"{found['drifted_count']} of {found['feature_count']} feature columns drifted "
        f"in {current.rows:,} newest rows against {reference.rows:,} reference rows"
    )


if __name__ == "__main__":
    run_stage("data_report", main)
