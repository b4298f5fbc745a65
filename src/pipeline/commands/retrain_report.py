"""`pipeline retrain-report`: the retrain pull request's body (see lifecycle/retrain.py)."""

from __future__ import annotations

import os
import sys
from pathlib import Path

from pipeline.config import Reports, load_params
from pipeline.lifecycle.retrain import pr_body


def run(base: str, output: Path | None) -> int:
    """Exit 0 with the body (printed, or written to `output`), 2 when a report is missing."""
    run_url = None
    if os.environ.get("GITHUB_RUN_ID") and not os.environ.get("ACT"):
        run_url = "{GITHUB_SERVER_URL}/{GITHUB_REPOSITORY}/actions/runs/{GITHUB_RUN_ID}".format(
            **os.environ
        )
    try:
        paths = load_params().paths
        body = pr_body(base, Path(paths.monitoring), run_url, Reports(paths).comparison)
    except FileNotFoundError as error:
        print(
            f"retrain-report: {error.filename} is missing: run `dvc repro` first", file=sys.stderr
        )
        return 2
    if output:
        output.write_text(body)
    else:
        print(body)
    return 0
