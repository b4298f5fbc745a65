"""Stage model_report: model quality on the newest labelled batch against the holdout.

Reads the predictions evaluate wrote, so it reruns when the model or the data change. Writes
an Evidently HTML report and the summary the gate reads (a DVC metric).
"""

import math
from pathlib import Path

import pandas as pd
from omegaconf import DictConfig

from pipeline.config import MODEL_SUMMARY, PREDICTIONS
from pipeline.io import write_json
from pipeline.modeling.metrics import calibration_error
from pipeline.modeling.tasks import (
    CLASSIFICATION,
    MULTICLASS,
    REGRESSION,
    measure,
    scores_of,
    task_info,
)
from pipeline.monitoring import evidently_reports as monitoring
from pipeline.stages.common import run_stage


def main(params: DictConfig) -> str:
    paths, threshold, target = params.paths, params.evaluate.threshold, params.dataset.target
    task = task_info(params.dataset.task)
    labels = list(params.dataset.classes or [])  # a multi-class target's labels, by code
    classes = labels if task is MULTICLASS else None
    scored = pd.read_parquet(Path(paths.evaluation) / PREDICTIONS)
    holdout, current = (scored[scored["split"] == split] for split in ("holdout", "current"))
    out = Path(paths.monitoring)
    if len(current):
        monitoring.model_report(
            holdout,
            current,
            target=target,
            threshold=threshold,
            out=out / "model_quality.html",
            task=task.name,
            classes=classes,
        )
    else:  # a snapshot: the model has not met a newer batch yet
        trained_on = sorted(holdout["batch"].unique())
        monitoring.write_waiting_page(out / "model_quality.html", "Model quality", trained_on)
    summary = {"current_batch": current["batch"].iat[0] if len(current) else None}
    for split, frame in (("holdout", holdout), ("current", current)):
        labels, scores = frame[target].to_numpy(), scores_of(task, frame)
        summary[split] = measure(task, labels, scores, threshold, classes)
        if task is CLASSIFICATION and len(frame):
            summary[split]["calibration_error"] = calibration_error(labels, scores)
    summary |= decay(summary["holdout"], summary["current"], task)
    write_json(summary, out / MODEL_SUMMARY)
    name = task.primary.upper().replace("_", " ")
    if not len(current):
        return f"{name} {summary['holdout'][task.primary]:.3f} on the holdout; no newest batch yet"
    return (
        f"{name} {summary['current'][task.primary]:.3f} on {summary['current_batch']} "
        f"vs {summary['holdout'][task.primary]:.3f} on the holdout"
    )


def decay(holdout: dict, current: dict, task) -> dict:
    """How much worse the newest batch is than the holdout, as the gate measures it (null
    when the newest batch was not measured)."""
    if task is REGRESSION:
        if "rmse" not in current:
            return {"rmse_rise": None}
        return {"rmse_rise": round(current["rmse"] / holdout["rmse"] - 1, 6)}
    if "roc_auc" not in current:
        return {"roc_auc_drop": None}
    drop = holdout["roc_auc"] - current["roc_auc"]  # NaN: a class is absent (multiclass)
    return {"roc_auc_drop": round(drop, 6) if math.isfinite(drop) else None}


if __name__ == "__main__":
    run_stage("model_report", main)
