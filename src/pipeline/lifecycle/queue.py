"""Waiting on a queued sweep: `pipeline queue-wait` (`make queue-wait`).

`dvc queue start` returns at once and its workers run silently. This polls
`dvc queue status` until every experiment that was queued or running has finished, with a
live "k of N experiments done" on a terminal, and exits 1 if one failed.
"""

from __future__ import annotations

import sys
import time
from collections.abc import Callable
from dataclasses import dataclass

from pipeline import progress, vcs
from pipeline.errors import ToolError

WAITING = {"Queued", "Running"}
DVC_QUEUE_STATUS = [sys.executable, "-m", "dvc", "queue", "status"]
# `dvc queue status` can read a task's JSON file while its worker is still writing it and
# fail with "Expecting value" (treeverse/dvc#8014); the next read sees the whole file.
STATUS_ATTEMPTS = 5
# With tasks still queued and no worker for this long, nobody will run them.
NO_WORKER_SECONDS = 30


def parse_status(text: str) -> tuple[dict[str, str], int | None]:
    """{task id: status} from `dvc queue status`, and its count of active workers."""
    tasks: dict[str, str] = {}
    active = None
    for line in text.splitlines():
        words = line.split()
        if not words:
            continue
        if line.startswith("Worker status:"):
            active = int(words[2])  # "Worker status: 2 active, 0 idle"
        elif words[0] != "Task" and len(words) >= 2:
            tasks[words[0]] = words[-1]
    return tasks, active


def queue_status(
    command: list[str] = DVC_QUEUE_STATUS, pause_seconds: float = 1.0
) -> tuple[dict[str, str], int | None]:
    """Read the queue, retrying a failed read a few times before giving up (a ToolError)."""
    for _ in range(STATUS_ATTEMPTS - 1):
        try:
            return parse_status(vcs.run(command, "dvc queue status"))
        except ToolError:
            time.sleep(pause_seconds)
    try:
        return parse_status(vcs.run(command, "dvc queue status"))
    except ToolError as error:
        raise ToolError(f"{error} ({STATUS_ATTEMPTS} times)") from None


@dataclass(frozen=True)
class Waited:
    """How a wait on the queue ended: the experiments waited on, and those that failed."""

    waited: list[str]
    failed: list[str]
    gave_up: str | None = None  # why the wait stopped before every experiment finished


def wait_for_queue(
    poll_seconds: float = 2.0,
    timeout_seconds: float | None = None,
    read: Callable[[], tuple[dict[str, str], int | None]] = queue_status,
) -> Waited:
    """Poll the queue until every experiment queued or running now has finished, with a live
    "k of N experiments done" on a terminal; stop early when no worker runs them or at the
    timeout. A queue that cannot be read is a ToolError."""
    tasks, _ = read()
    waited = sorted(task for task, status in tasks.items() if status in WAITING)
    if not waited:
        return Waited([], [])
    started = idle_since = time.monotonic()
    while True:
        tasks, active = read()
        # A task missing from one reading (dvc moves it between its queues) is not done.
        done = [task for task in waited if tasks.get(task, "Queued") not in WAITING]
        failed = [task for task in done if tasks.get(task) == "Failed"]
        progress.counter(
            len(done), len(waited), "experiments", f"{len(failed)} failed" if failed else ""
        )
        if len(done) == len(waited):
            progress.finish()
            return Waited(waited, failed)
        now = time.monotonic()
        idle_since = now if active else idle_since
        gave_up = None
        if now - idle_since > NO_WORKER_SECONDS:
            gave_up = (
                f"{len(waited) - len(done)} experiment(s) queued and no worker running them: "
                "start workers with `dvc queue start -j 2`"
            )
        elif timeout_seconds is not None and now - started > timeout_seconds:
            gave_up = f"gave up after {timeout_seconds:.0f} s"
        if gave_up:
            progress.finish()
            return Waited(waited, failed, gave_up)
        time.sleep(poll_seconds)
