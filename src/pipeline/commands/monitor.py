"""`pipeline monitor`: the batch gate on served traffic (see monitoring/traffic.py)."""

from __future__ import annotations

import json
import sys
from pathlib import Path

from pipeline.commands.check import print_verdict
from pipeline.config import MODEL_SUMMARY, Reports, load_params
from pipeline.data.batches import BATCH_COLUMN, read_training_window
from pipeline.errors import PipelineError
from pipeline.io import write_json
from pipeline.modeling.inputs import input_columns
from pipeline.modeling.tasks import MULTICLASS, task_info
from pipeline.monitoring import gate
from pipeline.monitoring.evidently_reports import write_data_reports
from pipeline.monitoring.traffic import join_labels, live_model_summary, read_jsonl, traffic_frame
from pipeline.serving.request_log import RequestLog


def run(log_file: Path | None, labels_file: Path | None) -> int:
    """Exit 0 pass, 1 a check failed, 2 cannot tell."""
    try:
        params = load_params()
        cfg, paths, dataset = params.serve, params.paths, params.dataset
        target, task = dataset.target, task_info(dataset.task)
        classes = None if dataset.classes is None else list(dataset.classes)
        inputs = input_columns(
            list(dataset.features.categorical), list(dataset.features.numeric), dataset.derived
        )
        reference = read_training_window(paths, [BATCH_COLUMN, *inputs, target])
        log = RequestLog(log_file or cfg.request_log, cfg.rotate_bytes)
        traffic = traffic_frame(
            read_jsonl(log.files()), inputs, task.score, classes if task is MULTICLASS else None
        )
        labels = Path(labels_file or cfg.labels)
        if labels.exists():
            traffic = join_labels(traffic, read_jsonl([labels]), target)
        out = Path(cfg.monitor_dir)
        # Labels arrive for some rows only: they score the live model below, while the drift
        # report compares inputs alone.
        data = write_data_reports(
            reference,
            traffic.drop(columns=[target], errors="ignore"),
            dataset=dataset,
            report=params.report,
            seed=params.seed,
            out_dir=out,
        )
        metrics_file = Reports(paths).metrics
        holdout = json.loads(metrics_file.read_text())["holdout"] if metrics_file.exists() else {}
        model = live_model_summary(
            traffic, holdout, params.evaluate.threshold, target, task, classes
        )
        write_json(model, out / MODEL_SUMMARY)
        results = gate.checks(data, model, params.report.gate, dataset.gate, dataset.task)
    except (PipelineError, FileNotFoundError, KeyError) as error:
        print(f"monitor: cannot judge the traffic: {error}", file=sys.stderr)
        return 2
    print(f"monitor: {len(traffic):,} served predictions; reports in {out}/")
    return print_verdict("monitor", results, data)
