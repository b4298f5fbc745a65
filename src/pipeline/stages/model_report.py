"""Stage model_report: model quality on the newest labelled batch against the holdout.

Reads the predictions evaluate wrote, so it reruns when the model or the data change. Writes
an Evidently HTML report and the summary the gate reads (a DVC metric).
"""

from pathlib import Path

import pandas as pd
from omegaconf import DictConfig

from pipeline.io import write_json
from pipeline.modeling.metrics import PREDICTIONS, calibration_error, classification_metrics
from pipeline.monitoring import evidently_reports as monitoring
from pipeline.stages.common import run_stage


def main(params: DictConfig) -> str:
    paths, threshold, target = params.paths, params.evaluate.threshold, params.dataset.target
    scored = pd.read_parquet(Path(paths.evaluation) / PREDICTIONS)
    holdout, current = (scored[scored["split"] == split] for split in ("holdout", "current"))
    out = Path(paths.monitoring)
    monitoring.model_report(
        holdout, current, target=target, threshold=threshold, out=out / "model_quality.html"
    )
    summary = {"current_batch": current["batch"].iat[0] if len(current) else None}
    for split, frame in (("holdout", holdout), ("current", current)):
        labels, scores = frame[target].to_numpy(), frame["probability"].to_numpy()
        summary[split] = {
            **classification_metrics(labels, scores, threshold),
            "calibration_error": calibration_error(labels, scores),
        }
    summary["roc_auc_drop"] = round(
        summary["holdout"]["roc_auc"] - summary["current"]["roc_auc"], 6
    )
    write_json(summary, out / "model.json")
    return (
        f"ROC AUC {summary['current']['roc_auc']:.3f} on {summary['current_batch']} "
        f"vs {summary['holdout']['roc_auc']:.3f} on the holdout"
    )


if __name__ == "__main__":
    run_stage("model_report", main)
