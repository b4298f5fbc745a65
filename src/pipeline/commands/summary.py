"""`pipeline summary`: the last pipeline run in a few lines (see reporting/run_summary.py)."""

from __future__ import annotations

from pathlib import Path

from pipeline.reporting.run_summary import run_summary


def run(repro_log: Path | None) -> int:
    print(run_summary(repro_log))
    return 0
