"""`pipeline repro [-j N] [-f] [STAGE...]`: `dvc repro` with independent stages at the same
time (scheduling/parallel_repro.py), recorded as `dvc repro` records them."""

from __future__ import annotations

import sys

from pipeline.errors import PipelineError
from pipeline.scheduling.parallel_repro import reproduce


def run(targets: list[str], jobs: int | None, force: bool) -> int:
    """Exit 0 when every stage is reproduced, 1 when one failed or the run could not start,
    130 on Ctrl-C."""
    try:
        outcome = reproduce(None, targets, jobs=jobs, force=force, say=say)
    except PipelineError as error:
        print(f"repro: {error}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        return 130
    if outcome.ok:
        return 0
    failed = "; ".join(f"'{stage}': {why}" for stage, why in outcome.failed.items())
    print(f"ERROR: failed to reproduce {failed}", file=sys.stderr)
    if outcome.not_run:
        print(f"not run, as they depend on it: {', '.join(outcome.not_run)}", file=sys.stderr)
    return 1


def say(line: str) -> None:
    print(line, flush=True)  # as each stage goes, also when piped (make run tees it)
