"""`pipeline select-best`: apply the best experiment if it beats the committed model."""

from __future__ import annotations

import sys

from pipeline import vcs
from pipeline.config import ROOT_CONFIG
from pipeline.errors import PipelineError
from pipeline.lifecycle.experiments import (
    SELECTED_PRESET,
    choose,
    default_metric,
    param_changes,
    read_runs,
    write_into_conf,
)


def run(metric: str | None, min_improvement: float, dry_run: bool) -> int:
    """Exit 0 when an experiment was applied and written into conf/, 1 when none beats the
    guard, 2 on an error (including an applied experiment that conf/ cannot express)."""
    metric = metric or default_metric()
    try:
        choice = choose(read_runs(), metric, vcs.git("rev-parse", "HEAD").strip())
    except (LookupError, PipelineError) as error:
        print(f"select-best: {error}", file=sys.stderr)
        return 2
    best, baseline = choice.best, choice.baseline
    verdict = (
        f"{best.name}: {metric} {best.metrics[metric]:.4f} vs {baseline.metrics[metric]:.4f} "
        f"for the committed model ({choice.improvement:+.4f}; "
        f"the guard asks {min_improvement:+.4f})"
    )
    if choice.improvement < min_improvement:
        print(f"select-best: no experiment beats the committed model. Best is {verdict}")
        return 1
    print(f"best: {verdict}")
    print("changes:\n  " + "\n  ".join(param_changes(baseline, best) or ["(no param changes)"]))
    if dry_run:
        return 0
    try:
        vcs.dvc("exp", "apply", best.name)
        preset = write_into_conf(best.name)
    except PipelineError as error:
        print(f"select-best: {error}", file=sys.stderr)
        return 2
    print(f"wrote {SELECTED_PRESET}:")
    print("\n".join(f"  {line}".rstrip() for line in preset.splitlines()))
    print(f"set `- experiment: selected` in {ROOT_CONFIG}; conf/ composes to the applied params")
    print("applied to the workspace: review, then `git add -A && git commit`, and `make register`")
    return 0
