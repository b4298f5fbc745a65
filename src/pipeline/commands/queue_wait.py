"""`pipeline queue-wait`: wait for the queued experiments (see lifecycle/queue.py)."""

from __future__ import annotations

import sys

from pipeline.errors import PipelineError
from pipeline.lifecycle.queue import wait_for_queue


def run(timeout_seconds: float | None) -> int:
    """Exit 0 when every waited-on experiment succeeded, 1 if one failed, 2 on no progress."""
    try:
        waited = wait_for_queue(timeout_seconds=timeout_seconds)
    except PipelineError as error:
        print(f"queue-wait: {error}", file=sys.stderr)
        return 2
    if not waited.waited:
        print("queue-wait: no experiment is queued or running")
        return 0
    if waited.gave_up:
        print(f"queue-wait: {waited.gave_up}", file=sys.stderr)
        return 2
    print(f"queue-wait: {len(waited.waited)} experiments finished, {len(waited.failed)} failed")
    if waited.failed:
        print(f"  failed: {', '.join(waited.failed)} (dvc queue logs TASK says why)")
    return 1 if waited.failed else 0
