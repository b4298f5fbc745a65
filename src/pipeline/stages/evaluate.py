"""Stage evaluate: score the model on the holdout and on the current batch.

Writes metrics and plots through dvclive (dvc.yaml declares them), per-slice metrics and
permutation importance under reports/evaluate/.
"""

from pathlib import Path

import pandas as pd
from omegaconf import DictConfig

from pipeline.contracts.apply import combine, enforce
from pipeline.contracts.dataset import load_contracts, model_input, predictions
from pipeline.data.batches import BATCH_COLUMN
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
    cfg, target = params.evaluate, params.dataset.target
    contract = model_input(load_contracts(params.dataset).features, columns)
    frames = {split: pd.read_parquet(params.paths[split]) for split in ("holdout", "current")}
    report_file = Path(params.paths.validation) / "evaluate.json"
    _, inputs = enforce(
        [(contract, frame, params.paths[split]) for split, frame in frames.items()], report_file
    )
    summary, scored = [], []
    with (
        atomic_dir(params.paths.evaluation) as out,
        Live(dir=str(out), dvcyaml=False, save_dvc_exp=False, report=None) as live,
    ):
        for split, frame in frames.items():
            labels = frame[target].to_numpy()
            scores = pipeline.predict_proba(frame[columns])[:, 1]
            scored.append(prediction_table(frame, split, target, scores, cfg.threshold))
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
                columns=list(params.dataset.slices),
                threshold=cfg.threshold,
                min_rows=cfg.min_slice_rows,
            )
            slices.to_csv(out / f"slices_{split}.csv", index=False)
            summary.append(f"{split} ROC AUC {live.summary[split]['roc_auc']:.3f}")
        importance = permutation_importance_table(
            pipeline, frames["holdout"], columns, target, seed=params.seed
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
        table = pd.concat(scored, ignore_index=True)
        predictions_file = str(Path(params.paths.evaluation) / PREDICTIONS)
        (table,), outputs = enforce(
            [(predictions(target, cfg.threshold), table, predictions_file)], report_file
        )
        table.to_parquet(out / PREDICTIONS, index=False)
    write_json(combine(inputs, outputs), report_file)
    return ", ".join(summary)


def prediction_table(
    frame: pd.DataFrame, split: str, target: str, scores, threshold: float
) -> pd.DataFrame:
    """One row per scored example: its batch, label, probability and decision."""
    return pd.DataFrame(
        {
            BATCH_COLUMN: frame[BATCH_COLUMN].to_numpy(),
            "split": split,
            target: frame[target].to_numpy(),
            "probability": scores,
            "predicted": (scores >= threshold).astype(int),
        }
    )


if __name__ == "__main__":
    run_stage("evaluate", main)
