"""Stage analyze: why the model scores as it does, and for whom, beyond overall metrics.

Scores the holdout and the current batch itself, so it runs beside evaluate, not after it.
Writes under reports/analysis/: importance.csv and importance.json (permutation importance on
the holdout, a DVC plot), groups.json (per-group metrics, the disparities and their worst
groups, the groups too small to judge; the gate reads it), fairness.json (each measure's
worst gap over the group columns, a DVC metric) and dependence/ (partial dependence with
individual curves for the most important features, DVC plots; a multi-class model's per
class).
"""

from __future__ import annotations

import json
from pathlib import Path

import pandas as pd
from omegaconf import DictConfig

from pipeline.config import Reports
from pipeline.errors import PipelineError
from pipeline.io import atomic_dir, write_json, write_text
from pipeline.modeling import model_file
from pipeline.modeling.dependence import class_dependence_curves, dependence_curves, file_name
from pipeline.modeling.fairness import fairness
from pipeline.modeling.metrics import class_key, permutation_importance_table
from pipeline.modeling.tasks import (
    MULTICLASS,
    check_model_task,
    class_labels,
    model_task,
    predict,
    task_info,
)
from pipeline.stages.common import run_stage

SPLITS = ("holdout", "current")


def main(params: DictConfig) -> str:
    paths, dataset, analysis = params.paths, params.dataset, params.dataset.analysis
    task = task_info(dataset.task)
    reports, out = Reports(paths), Path(paths.analysis)
    pipeline = model_file.load(paths.model)
    check_model_task(pipeline, task, paths.model)
    columns = list(pipeline.feature_names_in_)
    frames = {split: pd.read_parquet(paths[split]) for split in SPLITS}
    groups = list(analysis.groups)
    for split, frame in frames.items():
        missing = [column for column in groups if column not in frame.columns]
        if missing:
            raise PipelineError(
                f"dataset.analysis.groups names {', '.join(missing)}, not a column of "
                f"{paths[split]}: featurize keeps the columns of dataset.features, "
                "dataset.slices and dataset.analysis.groups"
            )
    importance = permutation_importance_table(
        pipeline,
        frames["holdout"],
        columns,
        dataset.target,
        seed=params.seed,
        scoring=task.importance_scoring,
    )
    write_text(importance.to_csv(index=False), reports.importance)
    write_text(json.dumps(importance.to_dict("records"), indent=4) + "\n", reports.importance_plot)
    found = {
        split: fairness(
            frame,
            frame[dataset.target].to_numpy(dtype=float),
            predict(pipeline, frame[columns]),
            columns=groups,
            task=task,
            threshold=params.evaluate.threshold,
            min_rows=analysis.min_group_rows,
        )
        for split, frame in frames.items()
    }
    found["min_group_rows"] = analysis.min_group_rows
    write_json(found, reports.groups)
    write_json(disparities(found), reports.fairness)
    top = list(importance["feature"].head(analysis.dependence.features))
    curves = write_dependence(params, pipeline, frames["holdout"], top, out / "dependence")
    judged = sum(len(found["current"][column]["judged"]) for column in groups)
    return (
        f"fairness over {len(groups)} group column(s), {judged} group(s) judged on the newest "
        f"batch; partial dependence for {', '.join(curves) or 'no feature'}"
    )


def disparities(found: dict) -> dict:
    """{split: {measure: its worst value over the group columns}}: what `dvc exp show` and
    `dvc metrics diff` compare (groups.json names the column and group behind each). A measure
    no column could judge is None."""
    worst = {}
    for split in SPLITS:
        values: dict[str, list[float]] = {}
        for result in found[split].values():
            for name, measure in result["measures"].items():
                measured = values.setdefault(name, [])
                if measure["value"] is not None:
                    measured.append(measure["value"])
        worst[split] = {name: max(seen) if seen else None for name, seen in values.items()}
    return worst


def write_dependence(
    params: DictConfig, pipeline, holdout: pd.DataFrame, top: list[str], folder: Path
) -> list[str]:
    """One plot file per top feature: numeric/ (curves) and categorical/ (bars). A multi-class
    model's, one per top feature and class, `<feature>.<class>.json`: the class's probability."""
    dataset, settings = params.dataset, params.dataset.analysis.dependence
    categorical = set(dataset.features.categorical)
    shared = dict(
        categorical=categorical,
        seed=params.seed,
        rows=settings.rows,
        curves=settings.curves,
        grid=settings.grid,
    )
    columns = list(pipeline.feature_names_in_)
    if model_task(pipeline) is MULTICLASS:
        by_class = class_dependence_curves(
            pipeline, holdout, columns, top, class_labels(pipeline), **shared
        )
        plots = {
            (feature, f"{feature}.{class_key(label)}"): rows
            for feature, outputs in by_class.items()
            for label, rows in outputs.items()
        }
    else:
        curves = dependence_curves(pipeline, holdout, columns, top, **shared)
        plots = {(feature, feature): rows for feature, rows in curves.items()}
    with atomic_dir(folder) as tmp:
        for kind in ("numeric", "categorical"):
            (tmp / kind).mkdir(parents=True)
        for (feature, name), rows in plots.items():
            kind = "categorical" if feature in categorical else "numeric"
            (tmp / kind / file_name(name)).write_text(json.dumps(rows, indent=1) + "\n")
    return list(dict.fromkeys(feature for feature, _ in plots))


if __name__ == "__main__":
    run_stage("analyze", main)
