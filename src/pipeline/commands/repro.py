"""`pipeline repro [-j N] [-f] [STAGE...]`: `dvc repro` with independent stages at the same
time (scheduling/parallel_repro.py), recorded as `dvc repro` records them."""

from __future__ import annotations

import sys

from pipeline.errors import PipelineError
from pipeline.scheduling import parallel_repro as runner

# Lines as `dvc repro` prints them, so a log of either reads the same (reporting/run_summary.py).
LINES = {
    runner.RUNNING: "Running stage '{stage}':",
    runner.UNCHANGED: "Stage '{stage}' didn't change, skipping",
    runner.CACHED: "Stage '{stage}' is cached - skipping run, checking out outputs",
    runner.COMMAND: "> {text}",
    runner.NOT_RUN: "Stage '{stage}' not run: '{text}' upstream failed",
    runner.INTERRUPTED: "interrupted: stopped {text}; what they wrote is not recorded",
}


def run(targets: list[str], jobs: int | None, force: bool) -> int:
    """Exit 0 when every stage is reproduced, 1 when one failed or the run could not start,
    130 on Ctrl-C."""
    try:
        outcome = runner.reproduce(None, targets, jobs=jobs, force=force, report=show)
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


def show(event: runner.Event) -> None:
    line = line_of(event)
    if line is not None:
        print(line, flush=True)  # as each stage goes, also when piped (make run tees it)


def line_of(event: runner.Event) -> str | None:
    """What a person sees of an event. Stages running at once name themselves on each line of
    their output and say when they are done; one at a time reads exactly as `dvc repro`."""
    if event.kind == runner.OUTPUT:
        return event.text if event.alone else f"{event.stage} | {event.text}"
    if event.kind == runner.DONE:
        return None if event.alone else f"Stage '{event.stage}' done in {event.seconds:.1f} s"
    if event.kind == runner.FAILED:
        if event.code is None:  # DVC's own refusal, before any command ran
            return f"ERROR: '{event.stage}': {event.text}"
        return f"ERROR: failed to reproduce '{event.stage}' (exit {event.code}): {event.text}"
    return LINES[event.kind].format(stage=event.stage, text=event.text)
