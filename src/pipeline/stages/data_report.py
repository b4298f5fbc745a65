"""Stage data_report: data quality and drift of the newest batch against the training window.

Needs no model, so changing the model does not rerun it. Writes two Evidently HTML reports,
the summary the gate reads (a DVC metric) and per-column details under reports/monitoring/.
"""

from pathlib import Path

import pandas as pd
from omegaconf import DictConfig

from pipeline.data.batches import read_training_window
from pipeline.data.sources import BATCH_COLUMN
from pipeline.examples.flights.features import TARGET
from pipeline.io import write_json
from pipeline.monitoring import evidently_reports as monitoring
from pipeline.stages.common import run_stage


def main(params: DictConfig) -> str:
    paths, cfg = params.paths, params.report
    columns = monitoring.Columns(
        list(params.features.categorical), list(params.features.numeric), TARGET
    )
    wanted = [BATCH_COLUMN, *columns.selected(with_target=True)]
    reference = read_training_window(paths, wanted)
    current = pd.read_parquet(paths.current, columns=wanted)
    out = Path(paths.monitoring)
    summary, details = monitoring.data_report(
        reference,
        current,
        columns,
        sample_rows=cfg.sample_rows,
        seed=params.seed,
        threshold=cfg.drift_threshold,
        drift_share=cfg.gate.max_drifted_share,
        out_dir=out,
    )
    write_json(summary, out / "data.json")
    write_json(details, out / "data_columns.json")
    found = summary["drift"]
    return (
        f"{found['drifted_count']} of {found['feature_count']} feature columns drifted "
        f"in {len(current):,} newest rows against {len(reference):,} reference rows"
    )


if __name__ == "__main__":
    run_stage("data_report", main)
