"""Stage evaluate: score the model on the holdout and on the current batch.

Writes metrics and plots through dvclive (dvc.yaml declares them), per-slice metrics and
permutation importance under reports/evaluate/.
"""

from pathlib import Path

import pandas as pd
from omegaconf import DictConfig

from pipeline.contracts import apply as contracts
from pipeline.examples.flights import schemas
from pipeline.examples.flights.features import TARGET
from pipeline.io import atomic_dir, write_json
from pipeline.modeling import model_file
from pipeline.modeling.metrics import (
    PREDICTIONS,
    classification_metrics,
    permutation_importance_table,
    slice_metrics,
)
from pipeline.stages.common import run_stage


def main(params: DictConfig) -> str:
    from dvclive import Live

    pipeline = model_file.load(params.paths.model)
    columns = list(pipeline.feature_names_in_)
    cfg = params.evaluate
    frames = {split: pd.read_parquet(params.paths[split]) for split in ("holdout", "current")}
    report_file = Path(params.paths.validation) / "evaluate.json"
    _, inputs = contracts.enforce(
        [
            (schemas.model_input(columns), frame, params.paths[split])
            for split, frame in frames.items()
        ],
        report_file,
    )
    summary, predictions = [], []
    with (
        atomic_dir(params.paths.evaluation) as out,
        Live(dir=str(out), dvcyaml=False, save_dvc_exp=False, report=None) as live,
    ):
        for split, frame in frames.items():
            labels = frame[TARGET].to_numpy()
            scores = pipeline.predict_proba(frame[columns])[:, 1]
            predictions.append(prediction_table(frame, split, scores, cfg.threshold))
            for name, value in classification_metrics(labels, scores, cfg.threshold).items():
                live.log_metric(f"{split}/{name}", value, plot=False)
            live.log_sklearn_plot(
                "roc", labels, scores, name=f"{split}/roc", drop_intermediate=True
            )
            live.log_sklearn_plot(
                "precision_recall", labels, scores, name=f"{split}/pr", drop_intermediate=True
            )
            live.log_sklearn_plot(
                "calibration", labels, scores, name=f"{split}/calibration", n_bins=10
            )
            live.log_sklearn_plot(
                "confusion_matrix",
                labels,
                (scores >= cfg.threshold).astype(int),
                name=f"{split}/confusion",
            )
            slices = slice_metrics(
                frame,
                labels,
                scores,
                columns=list(cfg.slices),
                threshold=cfg.threshold,
                min_rows=cfg.min_slice_rows,
            )
            slices.to_csv(out / f"slices_{split}.csv", index=False)
            summary.append(f"{split} ROC AUC {live.summary[split]['roc_auc']:.3f}")
        importance = permutation_importance_table(
            pipeline, frames["holdout"], columns, TARGET, seed=params.seed
        )
        live.log_plot(
            "importance",
            importance,
            x="importance",
            y="feature",
            template="bar_horizontal",
            title="Permutation importance (drop in ROC AUC)",
        )
        importance.to_csv(out / "importance.csv", index=False)
        scored = pd.concat(predictions, ignore_index=True)
        (scored,), outputs = contracts.enforce(
            [
                (
                    schemas.predictions(cfg.threshold),
                    scored,
                    str(Path(params.paths.evaluation) / PREDICTIONS),
                )
            ],
            report_file,
        )
        scored.to_parquet(out / PREDICTIONS, index=False)
    write_json(contracts.combine(inputs, outputs), report_file)
    return ", ".join(summary)


def prediction_table(frame: pd.DataFrame, split: str, scores, threshold: float) -> pd.DataFrame:
    """One row per scored flight: its batch, label, probability and decision."""
    return pd.DataFrame(
        {
            "batch": frame["batch"].to_numpy(),
            "split": split,
            TARGET: frame[TARGET].to_numpy(),
            "probability": scores,
            "predicted": (scores >= threshold).astype(int),
        }
    )


if __name__ == "__main__":
    run_stage("evaluate", main)
