"""Stage evaluate: score the model on the holdout and on the current batch.

Writes metrics and plots through dvclive (dvc.yaml declares them: ROC, precision-recall,
calibration and confusion for classification; the confusion matrix between the class labels
for multiclass; predicted against actual and residuals for regression), per-slice metrics
and every scored row under reports/evaluate/. Why the model scores as it does (importance,
dependence, fairness) is stage analyze's, which runs beside this one.
"""

from pathlib import Path

import pandas as pd
from omegaconf import DictConfig

from pipeline.config import PREDICTIONS, Reports
from pipeline.contracts.apply import combine, enforce
from pipeline.contracts.dataset import load_contracts, model_input, predictions
from pipeline.data.batches import BATCH_COLUMN
from pipeline.io import atomic_dir, write_json
from pipeline.modeling import model_file
from pipeline.modeling.slices import slice_metrics
from pipeline.modeling.tasks import (
    CLASSIFICATION,
    MULTICLASS,
    REGRESSION,
    check_model_task,
    class_labels,
    measure,
    predict,
    probability_columns,
    task_info,
)
from pipeline.reporting.numbers import metric_text
from pipeline.stages.common import run_stage

PLOT_POINTS = 2000  # rows drawn for each regression scatter plot


def main(params: DictConfig) -> str:
    from dvclive import Live

    pipeline = model_file.load(params.paths.model)
    columns = list(pipeline.feature_names_in_)
    cfg, target, seed = params.evaluate, params.dataset.target, params.seed
    task = task_info(params.dataset.task)
    check_model_task(pipeline, task, params.paths.model)
    classes = class_labels(pipeline) if task is MULTICLASS else None
    contract = model_input(load_contracts(params.dataset).features, columns)
    frames = {split: pd.read_parquet(params.paths[split]) for split in ("holdout", "current")}
    report_file = Reports(params.paths).validation("evaluate")
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
            scores = predict(pipeline, frame[columns])
            scored.append(prediction_table(frame, split, target, scores, cfg.threshold, task))
            for name, value in measure(task, labels, scores, cfg.threshold, classes).items():
                live.log_metric(f"{split}/{name}", value, plot=False)
            slices = slice_metrics(
                frame,
                labels,
                scores,
                columns=list(params.dataset.slices),
                threshold=cfg.threshold,
                min_rows=cfg.min_slice_rows,
                task=task,
                classes=classes,
            )
            slices.to_csv(out / f"slices_{split}.csv", index=False)
            if frame.empty:  # a snapshot: no batch after the one the model learned from
                summary.append(f"{split}: none (one batch so far)")
                continue
            if task is REGRESSION:
                log_regression_plots(live, split, labels, scores, seed=seed)
            elif task is MULTICLASS:
                log_multiclass_plots(live, split, labels, scores, classes)
            else:
                log_classification_plots(live, split, labels, scores, cfg.threshold)
            value = metric_text(live.summary[split][task.primary])  # dvclive keeps NaN as "nan"
            summary.append(f"{split} {task.primary.upper().replace('_', ' ')} {value}")
        table = pd.concat(scored, ignore_index=True)
        predictions_file = str(Path(params.paths.evaluation) / PREDICTIONS)
        (table,), outputs = enforce(
            [
                (
                    predictions(target, cfg.threshold, task.name, len(classes or [0, 1])),
                    table,
                    predictions_file,
                )
            ],
            report_file,
        )
        table.to_parquet(out / PREDICTIONS, index=False)
    write_json(combine(inputs, outputs), report_file)
    return ", ".join(summary)


def log_classification_plots(live, split: str, labels, scores, threshold: float) -> None:
    live.log_sklearn_plot("roc", labels, scores, name=f"{split}/roc", drop_intermediate=True)
    live.log_sklearn_plot(
        "precision_recall", labels, scores, name=f"{split}/pr", drop_intermediate=True
    )
    live.log_sklearn_plot("calibration", labels, scores, name=f"{split}/calibration", n_bins=10)
    live.log_sklearn_plot(
        "confusion_matrix", labels, (scores >= threshold).astype(int), name=f"{split}/confusion"
    )


def log_multiclass_plots(live, split: str, labels, scores, classes: list) -> None:
    """The K x K confusion matrix, its axes the class labels as they appear in the data."""
    names = [str(label) for label in classes]
    actual = [names[code] for code in labels]
    predicted = [names[code] for code in scores.argmax(axis=1)]
    live.log_sklearn_plot("confusion_matrix", actual, predicted, name=f"{split}/confusion")


def log_regression_plots(live, split: str, labels, predicted, *, seed: int) -> None:
    """Predicted against actual, and residuals against predicted, on a seeded sample of rows
    (a scatter of every row would make the plot file as large as the data)."""
    points = pd.DataFrame({"actual": labels, "predicted": predicted})
    points = points.sample(n=min(PLOT_POINTS, len(points)), random_state=seed).sort_index()
    points["residual"] = points["predicted"] - points["actual"]
    points = points.round(6)
    for name, x, y, title in (
        ("predicted_vs_actual", "actual", "predicted", "Predicted against actual"),
        (
            "residuals",
            "predicted",
            "residual",
            "Residual (predicted minus actual) against predicted",
        ),
    ):
        live.log_plot(
            f"{split}/{name}",
            points[[x, y]],
            x=x,
            y=y,
            template="scatter",
            title=f"{title} ({split})",
        )


def prediction_table(
    frame: pd.DataFrame, split: str, target: str, scores, threshold: float, task=CLASSIFICATION
) -> pd.DataFrame:
    """One row per scored example: its batch, label, and the probability and decision
    (classification), each class's probability and the most likely class's code
    (multiclass), or the predicted value (regression)."""
    table = pd.DataFrame(
        {
            BATCH_COLUMN: frame[BATCH_COLUMN].to_numpy(),
            "split": split,
            target: frame[target].to_numpy(),
        }
    )
    if task is REGRESSION:
        table[target] = table[target].astype(float)
        table["prediction"] = scores
        return table.reset_index(drop=True)
    if task is MULTICLASS:
        for column, values in zip(probability_columns(scores.shape[1]), scores.T, strict=True):
            table[column] = values
        table["predicted"] = scores.argmax(axis=1).astype(int)
        return table.reset_index(drop=True)
    table["probability"] = scores
    table["predicted"] = (scores >= threshold).astype(int)
    return table.reset_index(drop=True)


if __name__ == "__main__":
    run_stage("evaluate", main)
