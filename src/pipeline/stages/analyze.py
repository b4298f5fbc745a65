"""Stage analyze: fairness across groups and feature dependence, beyond overall metrics.

Reads evaluate's predictions (the scores are not recomputed) and the rows they were made on.
Writes under reports/analysis/: groups.json (per-group metrics, the disparities and their
worst groups, the groups too small to judge; the gate reads it), fairness.json (each
measure's worst gap over the group columns, a DVC metric) and dependence/ (partial
dependence with individual curves for the most important features, DVC plots; a
multi-class model's per class).
"""

from __future__ import annotations

import json
from pathlib import Path

import pandas as pd
from omegaconf import DictConfig

from pipeline.config import PREDICTIONS, Reports
from pipeline.errors import PipelineError
from pipeline.io import atomic_dir, write_json
from pipeline.modeling import model_file
from pipeline.modeling.dependence import class_dependence_curves, dependence_curves, file_name
from pipeline.modeling.fairness import fairness
from pipeline.modeling.metrics import class_key
from pipeline.modeling.tasks import MULTICLASS, class_labels, model_task, scores_of, task_info
from pipeline.stages.common import run_stage

SPLITS = ("holdout", "current")


def main(params: DictConfig) -> str:
    paths, dataset, analysis = params.paths, params.dataset, params.dataset.analysis
    task = task_info(dataset.task)
    groups = list(analysis.groups)
    evaluation, out = Path(paths.evaluation), Path(paths.analysis)
    predictions = pd.read_parquet(evaluation / PREDICTIONS)
    found = {}
    for split in SPLITS:
        frame = pd.read_parquet(paths[split])
        missing = [column for column in groups if column not in frame.columns]
        if missing:
            raise PipelineError(
                f"dataset.analysis.groups names {', '.join(missing)}, not a column of "
                f"{paths[split]}: featurize keeps the columns of dataset.features, "
                "dataset.slices and dataset.analysis.groups"
            )
        scored = predictions[predictions["split"] == split]
        if len(scored) != len(frame):
            raise PipelineError(
                f"{evaluation / PREDICTIONS} has {len(scored):,} {split} rows but "
                f"{paths[split]} has {len(frame):,}: run evaluate again (dvc repro)"
            )
        found[split] = fairness(
            frame,
            scored[dataset.target].to_numpy(dtype=float),
            scores_of(task, scored),
            columns=groups,
            task=task,
            threshold=params.evaluate.threshold,
            min_rows=analysis.min_group_rows,
        )
    found["min_group_rows"] = analysis.min_group_rows
    write_json(found, out / Reports(paths).groups.name)
    write_json(disparities(found), out / "fairness.json")
    curves = write_dependence(params, out / "dependence")
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


def write_dependence(params: DictConfig, folder: Path) -> list[str]:
    """One plot file per top feature: numeric/ (curves) and categorical/ (bars). A multi-class
    model's, one per top feature and class, `<feature>.<class>.json`: the class's probability."""
    paths, dataset, settings = params.paths, params.dataset, params.dataset.analysis.dependence
    pipeline = model_file.load(paths.model)
    importance = pd.read_csv(Path(paths.evaluation) / "importance.csv")
    top = list(importance["feature"].head(settings.features))
    categorical = set(dataset.features.categorical)
    holdout = pd.read_parquet(paths.holdout)
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
