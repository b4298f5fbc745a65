"""The short summary `make run` ends with: rows in, stages run, metrics, where reports are."""

from __future__ import annotations

import json
import re
from pathlib import Path

from pipeline.config import Reports, load_params
from pipeline.modeling.tasks import task_info
from pipeline.reporting.numbers import measured, metric_text


def stages_run(repro_log: str) -> tuple[list[str], list[str]]:
    """Stages `dvc repro` ran and stages it skipped or restored from cache, from its output."""
    ran = re.findall(r"Running stage '([^']+)'", repro_log)
    skipped = re.findall(r"Stage '([^']+)' (?:didn't change|is cached)", repro_log)
    return ran, skipped


def run_summary(repro_log: Path | None = None) -> str:
    params = load_params()
    paths = params.paths
    ingest = json.loads(Reports(paths).ingest.read_text())
    metrics = json.loads(Reports(paths).metrics.read_text())
    batches = [entry["batch"] for entry in ingest["batches"]]
    batch_table = ingest.get("batch_table") or next(iter(ingest["rows"]))
    tables = ", ".join(
        f"{rows:,} {name}" + (" rows" if name != batch_table else " rows (batched)")
        for name, rows in ingest["rows"].items()
    )
    lines = [
        "",
        "Pipeline summary",
        "----------------",
        f"rows in:   {tables}, {span(batches)} from source {ingest['source']}",
    ]
    if repro_log is not None and repro_log.exists():
        ran, skipped = stages_run(repro_log.read_text())
        lines.append(
            f"stages:    ran {', '.join(ran) or 'none'}"
            + (f"; up to date {', '.join(skipped)}" if skipped else "")
        )
    lines.append(f"model:     {params.model.name}, scored on the holdout and the current batch")
    current = params.data.current_batch or batches[-1]
    key_metrics = task_info(params.dataset.task).key_metrics
    for split, label in (("holdout", "holdout:"), ("current", f"{current}:")):
        values = metrics.get(split, {})
        if values.get("rows") == 0:  # a snapshot: the model learned from the only batch
            lines.append("newest:    none yet, one batch so far (drift, decay: at the next)")
            continue
        lines.append(split_line(label, values, key_metrics))
    lines += [
        champion_line(Reports(paths).comparison),
        gate_line(Reports(paths).gate),
        f"reports:   open {paths.index} (every report, the plots and the gate on one page)",
        "explore:   dvc exp run -S experiment=deep_forest   then  make exp-show",
        f"card:      {paths.card}",
    ]
    return "\n".join(lines)


def span(batches: list[str]) -> str:
    if len(batches) == 1:
        return f"one batch ({batches[0]})"
    return f"batches {batches[0]}..{batches[-1]}"


def split_line(label: str, values: dict, key_metrics: tuple[str, ...]) -> str:
    """One split's key metrics, each a number or "not measured", and its rows."""
    shown = "  ".join(f"{name} {metric_text(values.get(name))}" for name in key_metrics)
    rows = measured(values.get("rows"))
    counted = f"{int(rows):,} rows" if rows is not None else "rows not counted"
    return f"{label:<10} {shown}  ({counted})"


def champion_line(comparison_file: Path) -> str:
    """The new model against the champion on the newest batch's rows, or why not."""
    if not comparison_file.exists():
        return "champion:  not compared yet"
    comparison = json.loads(comparison_file.read_text())
    if comparison["status"] != "compared":
        return f"champion:  {comparison['status']} (make champion pins one)"
    primary, rows = comparison["primary"], comparison["rows"]["current"]
    old = comparison["champion"]["current"].get(primary)
    new = comparison["challenger"]["current"].get(primary)
    if old is None or new is None:
        return f"champion:  {comparison['champion_name']}, newest batch has no labels yet"
    return (
        f"champion:  {comparison['champion_name']}: {primary} {metric_text(old)}, "
        f"new model {metric_text(new)} on the same {rows:,} rows"
    )


def gate_line(verdict_file: Path) -> str:
    """One line: whether the newest batch passes the gate, and the first check that failed."""
    if not verdict_file.exists():
        return "gate:      not run yet"
    verdict = json.loads(verdict_file.read_text())
    if verdict["passed"]:
        return "gate:      pass   (python -m pipeline.cli check for details)"
    failed = [check["text"] for check in verdict["checks"] if not check["passed"]]
    return f"gate:      FAIL   {failed[0]}" + (f" (+{len(failed) - 1} more)" if failed[1:] else "")
