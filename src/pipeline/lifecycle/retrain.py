"""The retrain pull request's body: what changed against the base branch, and the gate's verdict.

Built from `dvc params diff` / `dvc metrics diff`, the monitoring summaries and the last
batches of the branch's history (lifecycle/batch_history.py), so the same text can be
produced locally: `python -m pipeline.cli retrain-report --base main`.
"""

from __future__ import annotations

import json
from pathlib import Path

from pipeline import vcs
from pipeline.config import DATA_SUMMARY, GATE_VERDICT
from pipeline.errors import ToolError

# The comment's first line: the workflow finds its own comment by it and edits it in place.
MARKER = "<!-- retrain-report -->"
LAST_BATCHES = 5  # the rows of the history the body shows


def dvc_diff(kind: str, base: str) -> str:
    """`dvc params diff` or `dvc metrics diff` against `base`, as a Markdown table."""
    precision = ["--precision", "3"] if kind == "metrics" else []
    try:
        shown = vcs.dvc(kind, "diff", base, "--md", *precision)
    except ToolError as error:  # the body still says what else it knows
        return f"({error})"
    rows = shown.strip().splitlines()
    if len(rows) <= 2:  # a header and its rule, no row
        return f"(no {kind} changed against {base})"
    return "\n".join(rows)


def last_batches(count: int = LAST_BATCHES) -> str:
    """The branch's last batch commits (the history page's rows) as a Markdown table, or
    why there is none."""
    from pipeline.lifecycle.batch_history import history
    from pipeline.reporting.history_page import markdown

    try:
        rows = history(last=count)
    except ToolError as error:  # the body still says what else it knows
        return f"({error})"
    if not rows:
        return "(no batch commits on this branch yet: `make replay` makes one per batch)"
    return markdown(rows)


def pr_body(base: str, monitoring: Path, run_url: str | None, comparison: Path) -> str:
    """The body: the gate's verdict, then the champion against the new model on the same
    rows, then params and metrics diffs against `base` (measured on different rows)."""
    from pipeline.lifecycle.promotion import decide
    from pipeline.reporting.comparison_text import markdown

    verdict = json.loads((monitoring / GATE_VERDICT).read_text())
    decision = decide(verdict)
    advice = "promote the new model" if decision.promote else "keep the champion"
    against = markdown(json.loads(comparison.read_text()))
    data = json.loads((monitoring / DATA_SUMMARY).read_text())
    batches = data["current"]["batches"]
    reference = data["reference"]["batches"]
    total = len(verdict["checks"])
    state = "passed" if verdict["passed"] else f"FAILED ({verdict['failed']} of {total} checks)"
    checks = "\n".join(
        f"| {'pass' if check['passed'] else '**FAIL**'} | {check['text']} |"
        for check in verdict["checks"]
    )
    drift = data["drift"]
    drifted = ", ".join(drift["drifted_columns"]) or "none"
    reports = (
        f"HTML reports (index page, Evidently data quality, drift and model quality, model "
        f"card): the `reports` artifact of [this run]({run_url})."
        if run_url
        else "HTML reports: `reports/index.html` after `dvc pull` on this branch."
    )
    return f"""{MARKER}
## Retrained on {", ".join(batches)}: gate {state}

Newest batch {", ".join(batches)} ({data["current"]["rows"]:,} rows) against the training
window {reference[0]}..{reference[-1]} ({data["reference"]["rows"]:,} rows).
Drifted feature columns: {drift["drifted_count"]} of {drift["feature_count"]} ({drifted}).

**Decision: {advice}.** {decision.reason[0].upper()}{decision.reason[1:]}. (The same decision
`make replay` commits: the model's checks decide; drift is reported, not a reason to keep a
model that never saw the new batch.)

| | check |
|---|---|
{checks}

### Champion against the new model, on the same rows

{against}

### The last batches

The loop so far: this branch's last batch commits, newest first (all of them, with charts:
`make history` writes reports/history.html).

{last_batches()}

### Params against {base}

{dvc_diff("params", base)}

### Metrics against {base}

Each run's own numbers: {base}'s model was measured on {base}'s holdout and newest batch,
this one on this run's. The table above is the like-for-like comparison.

{dvc_diff("metrics", base)}

{reports}
"""
