"""`pipeline check`: the gate's verdict on the run's reports (exit 0 pass, 1 fail, 2 error)."""

from __future__ import annotations

import sys

from pipeline.config import load_params
from pipeline.errors import PipelineError
from pipeline.monitoring import gate


def run() -> int:
    """Exit 0 when every check passes, 1 when one crosses its limit, 2 when it cannot tell."""
    try:
        judged = gate.judge(load_params())
    except (PipelineError, KeyError, TypeError) as error:
        print(f"check: cannot judge the reports: {error!r}", file=sys.stderr)
        return 2
    return print_verdict("check", judged.results, judged.data)


def print_verdict(command: str, results: list[gate.Check], data: dict) -> int:
    """Each check on a line under the verdict; 1 when one failed, else 0."""
    failed = [check for check in results if not check.passed]
    batches = ", ".join(data["current"]["batches"]) or f"the holdout ({gate.ONE_BATCH})"
    if failed:
        print(f"{command}: FAIL, {len(failed)} of {len(results)} checks failed on {batches}")
    else:
        print(f"{command}: pass, all {len(results)} checks passed on {batches}")
    for check in results:
        print(f"  {'pass' if check.passed else 'FAIL'}  {check.describe()}")
    return 1 if failed else 0
