"""Stage report_index: reports/index.html and the gate's verdict (reports/monitoring/gate.json).

The page links every report, shows the key metrics and the plots dvc.yaml declares, and says
whether the newest batch passes the gate. It opens from disk with no server.
"""

import json
import os
from pathlib import Path

from omegaconf import DictConfig

from pipeline.config import Reports, read_dvc_file
from pipeline.io import atomic_path, write_json
from pipeline.modeling.left_out import LEFT_OUT
from pipeline.monitoring import gate
from pipeline.reporting.index_page import dvc_plots, render_index
from pipeline.stages.common import run_stage

VALIDATED_STAGES = ["ingest", "validate", "featurize", "train", "evaluate"]


def main(params: DictConfig) -> str:
    paths = params.paths
    reports = Reports(paths)
    judged = gate.judge(params)
    data, model = judged.data, judged.model
    verdict = gate.verdict(judged.results)
    write_json(verdict, reports.gate)
    plots = read_dvc_file().get("plots", [])
    page = render_index(
        gate=verdict,
        data=data,
        columns=json.loads(reports.data_columns.read_text()),
        model=model,
        model_name=params.model.name,
        charts=dvc_plots(plots, {key: paths[key] for key in paths}),
        links=report_links(paths),
        task=params.dataset.task,
        groups=judged.groups,
        composition=json.loads(reports.data_groups.read_text()),
        comparison=judged.comparison,
        left_out=json.loads(reports.validation("train").read_text()).get(LEFT_OUT),
    )
    with atomic_path(paths.index) as tmp:
        tmp.write_text(page)
    return f"{paths.index}: gate {'passed' if verdict['passed'] else 'failed'}"


def report_links(paths: DictConfig) -> list[tuple[str, str, str]]:
    """(label, href relative to the page, what it holds) for every report the pipeline writes."""
    monitoring, evaluation = Path(paths.monitoring), Path(paths.evaluation)
    reports = Reports(paths)
    validation = Path(paths.validation)
    targets = [
        (
            "Data quality",
            monitoring / "data_quality.html",
            "Evidently: every column of the newest batch",
        ),
        (
            "Data drift",
            monitoring / "data_drift.html",
            "Evidently: newest batch vs training window",
        ),
        ("Model quality", monitoring / "model_quality.html", "Evidently: newest batch vs holdout"),
        ("Model card", Path(paths.card), "data version, params, metrics and slices"),
        ("Gate verdict", reports.gate, "each check with its value and limit"),
        ("Metrics", reports.metrics, "holdout and newest batch"),
        (
            "Slices (newest batch)",
            evaluation / "slices_current.csv",
            "metrics per value of each slice column",
        ),
        ("Slices (holdout)", evaluation / "slices_holdout.csv", "metrics per slice"),
        ("Feature importance", reports.importance, "permutation importance"),
        (
            "Fairness by group",
            Reports(paths).groups,
            "per-group metrics, disparities, groups too small to judge",
        ),
        ("Who is in the data", reports.data_groups, "group shares and target rates"),
        (
            "Champion against the new model",
            Reports(paths).comparison,
            "both models' metrics on the same rows",
        ),
        ("Search", Path(paths.search), "hyperparameter search, when one ran"),
    ]
    targets += [
        (f"Validation: {stage}", validation / f"{stage}.json", "contract counts and failures")
        for stage in VALIDATED_STAGES
    ]
    page_dir = Path(paths.index).parent
    return [(label, os.path.relpath(path, page_dir), what) for label, path, what in targets]


if __name__ == "__main__":
    run_stage("report_index", main)
