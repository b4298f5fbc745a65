"""`pipeline exp-show`: experiments side by side, best first (see lifecycle/experiments.py)."""

from __future__ import annotations

import sys

from pipeline.errors import PipelineError
from pipeline.lifecycle.experiments import read_runs, table


def run(metric: str | None) -> int:
    """Exit 0 with the table, 2 when the experiments cannot be read or sorted."""
    try:
        print(table(read_runs(), metric))
    except (PipelineError, KeyError) as error:
        print(f"exp-show: {error}", file=sys.stderr)
        return 2
    return 0
