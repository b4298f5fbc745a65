"""Comparing and choosing experiments, from `dvc exp show --json`.

The table shows only the params that differ between runs and the key metrics, best first;
`select_best` picks a winner only if it beats the current model by a margin, applies it, and
writes its params into conf/ (the preset conf/experiment/selected.yaml) so that conf/ still
composes to params.yaml.
"""

from __future__ import annotations

import json
import math
import tempfile
from dataclasses import dataclass, field
from pathlib import Path

from pipeline import vcs
from pipeline.config import ROOT_CONFIG, Reports, set_default
from pipeline.errors import ConfigError
from pipeline.io import write_text
from pipeline.modeling.tasks import LOWER_IS_BETTER

PARAMS_FILE = "params.yaml"
# exp-show's columns, per task.
KEY_METRICS = {
    "classification": ["holdout.roc_auc", "holdout.pr_auc", "current.roc_auc", "current.brier"],
    "multiclass": ["holdout.roc_auc", "holdout.accuracy", "current.roc_auc", "current.log_loss"],
    "regression": ["holdout.rmse", "holdout.r2", "current.rmse", "current.r2"],
}
# Params that never differ in a meaningful way between experiments.
HIDDEN_PARAMS = ("paths.",)
# Where select-best writes the chosen experiment's params, and the root config that picks it.
SELECTED_PRESET = Path("conf/experiment/selected.yaml")


@dataclass
class Run:
    """One row of `dvc exp show`: the workspace, a commit, or an experiment of a commit."""

    name: str
    rev: str
    is_experiment: bool
    params: dict = field(default_factory=dict)
    metrics: dict = field(default_factory=dict)


def flatten(tree: dict, prefix: str = "") -> dict:
    flat = {}
    for key, value in tree.items():
        if isinstance(value, dict):
            flat |= flatten(value, f"{prefix}{key}.")
        else:
            flat[f"{prefix}{key}"] = value
    return flat


def load_runs(exp_show: list[dict]) -> list[Run]:
    """Runs with metrics from the JSON of `dvc exp show --json` (failed or queued ones skipped)."""
    runs = []

    def add(entry: dict, is_experiment: bool, name: str | None) -> None:
        data = entry.get("data") or {}
        params = (data.get("params") or {}).get(PARAMS_FILE, {}).get("data")
        if entry.get("error") or not params or "paths" not in params:
            return
        # The run's own evaluation folder: an experiment may have moved it.
        metrics_file = Reports(params["paths"]).metrics.as_posix()
        metrics = (data.get("metrics") or {}).get(metrics_file, {}).get("data")
        if not metrics:
            return
        rev = entry["rev"]
        label = name or entry.get("name") or (rev if rev == "workspace" else rev[:7])
        runs.append(Run(label, rev, is_experiment, flatten(params), flatten(metrics)))

    for baseline in exp_show:
        add(baseline, False, baseline.get("name"))
        for experiment in baseline.get("experiments") or []:
            for rev in experiment.get("revs", []):
                add(rev, True, experiment.get("name") or rev.get("name"))
    # The workspace is worth a row only when it differs from the commit it sits on.
    if len(runs) > 1 and runs[0].rev == "workspace":
        workspace, head = runs[0], runs[1]
        if (workspace.params, workspace.metrics) == (head.params, head.metrics):
            runs.pop(0)
    return runs


def read_runs(cwd: Path | None = None) -> list[Run]:
    return load_runs(json.loads(vcs.dvc("exp", "show", "--json", cwd=cwd)))


def score(run: Run, metric: str) -> float:
    """The run's value of `metric`, signed so that higher is always better."""
    if metric not in run.metrics:
        known = sorted(key for key in run.metrics if isinstance(run.metrics[key], float))
        raise KeyError(f"no metric {metric!r}; known: {', '.join(known)}")
    value = float(run.metrics[metric])
    return -value if metric.rsplit(".", 1)[-1] in LOWER_IS_BETTER else value


def workspace_task(params_file: Path = Path(PARAMS_FILE)) -> str:
    """The dataset's task in params.yaml (read as plain YAML: no schema needed here)."""
    import yaml

    params = yaml.safe_load(params_file.read_text()) if params_file.exists() else {}
    return str(((params or {}).get("dataset") or {}).get("task", "classification"))


def default_metric(task: str | None = None) -> str:
    """The metric experiments are ranked by: the task's primary metric on the holdout."""
    from pipeline.modeling.tasks import task_info

    return f"holdout.{task_info(task or workspace_task()).primary}"


def varying_params(runs: list[Run]) -> list[str]:
    """Param keys whose values differ between runs (a key a run lacks counts as differing)."""
    keys = sorted({key for run in runs for key in run.params})
    return [
        key
        for key in keys
        if not key.startswith(HIDDEN_PARAMS)
        and len({json.dumps(run.params.get(key), sort_keys=True) for run in runs}) > 1
    ]


def table(runs: list[Run], metric: str | None = None, metrics: list[str] | None = None) -> str:
    """Plain-text table: run, the sorting metric, other key metrics, params that vary.

    By default, sorted by the workspace task's primary metric and showing its key metrics.
    """
    task = workspace_task()
    metric = metric or default_metric(task)
    metrics = KEY_METRICS[task] if metrics is None else metrics
    shown_metrics = [metric] + [m for m in metrics if m != metric]
    params = varying_params(runs)
    ordered = sorted(runs, key=lambda run: score(run, metric), reverse=True)
    header = ["experiment", *shown_metrics, *params]
    rows = [
        [
            run.name + ("" if run.is_experiment else " (commit)"),
            *(_cell(run.metrics.get(m)) for m in shown_metrics),
            *(_cell(run.params.get(p, "-")) for p in params),
        ]
        for run in ordered
    ]
    widths = [max(len(line[i]) for line in [header, *rows]) for i in range(len(header))]
    lines = [
        "  ".join(text.ljust(width) for text, width in zip(line, widths, strict=True))
        for line in [header, *rows]
    ]
    lines.insert(1, "  ".join("-" * width for width in widths))
    return "\n".join(line.rstrip() for line in lines)


def _cell(value) -> str:
    if isinstance(value, float):
        return f"{value:.4f}" if not math.isnan(value) else "nan"
    return "-" if value is None else str(value)


@dataclass
class Choice:
    best: Run
    baseline: Run
    improvement: float  # in the metric's own direction: positive is better


def choose(runs: list[Run], metric: str, baseline_rev: str) -> Choice:
    """The best experiment by `metric`, and how much it beats the baseline commit's model."""
    baseline = next(
        (run for run in runs if run.rev == baseline_rev and not run.is_experiment), None
    )
    if baseline is None:
        raise LookupError(f"the current commit {baseline_rev[:7]} has no metrics: run `dvc repro`")
    experiments = [run for run in runs if run.is_experiment]
    if not experiments:
        raise LookupError("no finished experiment to choose from: run `dvc exp run` first")
    best = max(experiments, key=lambda run: score(run, metric))
    return Choice(best, baseline, score(best, metric) - score(baseline, metric))


def param_changes(before: Run, after: Run) -> list[str]:
    """'key: old -> new' for every param that differs (paths excluded)."""
    keys = sorted(set(before.params) | set(after.params))
    return [
        f"{key}: {_cell(before.params.get(key))} -> {_cell(after.params.get(key))}"
        for key in keys
        if not key.startswith(HIDDEN_PARAMS) and before.params.get(key) != after.params.get(key)
    ]


_ABSENT = object()


def selected_preset(baseline: dict, best: dict, name: str = "") -> str:
    """The text of the preset that turns `baseline`'s params into `best`'s (both flattened).

    It sets every param whose value differs (paths never do), as nested YAML in the global
    package. A preset that sets model keys also overrides the model group (its option name is
    `model.name`), so it holds whichever model is the default; when the model changed, it sets
    every key of the new model. A param that `best` lacks cannot be removed by a preset:
    ValueError.
    """
    from omegaconf import OmegaConf

    def shown(key: str) -> bool:
        return not key.startswith(HIDDEN_PARAMS)

    model = best.get("model.name")
    model_changed = model != baseline.get("model.name")
    removed = [
        key
        for key in baseline
        if shown(key) and key not in best and not (model_changed and key.startswith("model."))
    ]
    if removed:
        lacking = name or "the best experiment"
        raise ValueError(f"a preset cannot remove params, and {lacking} lacks {', '.join(removed)}")
    changes = {
        key: value
        for key, value in best.items()
        if shown(key)
        and key != "model.name"
        and ((model_changed and key.startswith("model.")) or baseline.get(key, _ABSENT) != value)
    }
    nested: dict = {}
    for key, value in changes.items():
        *parents, leaf = key.split(".")
        node = nested
        for part in parents:
            node = node.setdefault(part, {})
        node[leaf] = value
    source = f" from experiment {name}" if name else ""
    lines = [
        "# @package _global_",
        f"# Written by `python -m pipeline.cli select-best`{source}: the params it changed.",
        "# conf/config.yaml picks it: `- experiment: selected`.",
    ]
    if model is not None and (model_changed or any(key.startswith("model.") for key in changes)):
        lines += ["defaults:", f"  - override /model: {model}", ""]
    text = "\n".join(lines) + "\n"
    return text + (OmegaConf.to_yaml(OmegaConf.create(nested)) if nested else "")


def write_into_conf(name: str, params_file: Path = Path(PARAMS_FILE)) -> str:
    """Make conf/ compose to the applied params.yaml: the preset, the root config's default.

    The preset holds what differs from conf/ without any preset; it is returned once conf/
    composes to exactly the applied params (then params.yaml is rewritten as composed, key
    order and all). When it cannot, conf/ is restored and a ConfigError says why.
    """
    import yaml

    from pipeline.config import compose_params

    applied = yaml.safe_load(params_file.read_text())
    root_text = ROOT_CONFIG.read_text()
    old_preset = SELECTED_PRESET.read_text() if SELECTED_PRESET.exists() else None

    def restore() -> None:
        write_text(root_text, ROOT_CONFIG)
        if old_preset is None:
            SELECTED_PRESET.unlink(missing_ok=True)
        else:
            write_text(old_preset, SELECTED_PRESET)

    def cannot(reason: str) -> ConfigError:
        return ConfigError(
            f"applied {name} to {params_file}, but could not write it into conf/: {reason}\n"
            "conf/ is unchanged, so `python -m pipeline.cli params --check` fails until conf/ "
            "says the same: edit conf/, then `make params`."
        )

    with tempfile.TemporaryDirectory() as tmp:
        scratch = Path(tmp) / "params.yaml"
        try:
            new_root = set_default(root_text, "experiment", "selected")
            compose_params(["~experiment"], scratch)  # conf/ without any preset
            without_preset = flatten(yaml.safe_load(scratch.read_text()))
            preset = selected_preset(without_preset, flatten(applied), name)
        except Exception as error:  # Hydra raises many kinds; each means "cannot"
            raise cannot(str(error)) from None
        write_text(preset, SELECTED_PRESET)
        write_text(new_root, ROOT_CONFIG)
        try:
            compose_params([], scratch)
        except Exception as error:
            restore()
            raise cannot(f"conf/ with the preset does not compose: {error}\n{preset}") from None
        composed_text = scratch.read_text()
    composed = yaml.safe_load(composed_text)
    if composed != applied:
        restore()
        now, want = flatten(composed), flatten(applied)
        differ = sorted(
            key for key in now | want if now.get(key, _ABSENT) != want.get(key, _ABSENT)
        )
        raise cannot(f"conf/ would compose to other values of {', '.join(differ)}\n{preset}")
    write_text(composed_text, params_file)
    return preset
