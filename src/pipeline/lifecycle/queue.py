"""Waiting on a queued sweep: `pipeline queue-wait` (`make queue-wait`).

`dvc queue start` returns at once and its workers run silently. This polls
`dvc queue status` until every experiment that was queued or running has finished, with a
live "k of N experiments done" on a terminal, and exits 1 if one failed.
"""

from __future__ import annotations

import subprocess
import sys
import time

from pipeline import progress

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
    """Read the queue, retrying a failed read a few times before giving up."""
    for attempt in range(1, STATUS_ATTEMPTS + 1):
        result = subprocess.run(command, capture_output=True, text=True)
        if result.returncode == 0:
            return parse_status(result.stdout)
        if attempt < STATUS_ATTEMPTS:
            time.sleep(pause_seconds)
    raise RuntimeError(f"dvc queue status failed {STATUS_ATTEMPTS} times: {result.stderr.strip()}")


def queue_wait_command(poll_seconds: float = 2.0, timeout_seconds: float | None = None) -> int:
    """Exit 0 when every waited-on experiment succeeded, 1 if one failed, 2 on no progress."""
    try:
        tasks, _ = queue_status()
    except RuntimeError as error:
        print(f"queue-wait: {error}", file=sys.stderr)
        return 2
    waited = sorted(task for task, status in tasks.items() if status in WAITING)
    if not waited:
        print("queue-wait: no experiment is queued or running")
        return 0
    started = idle_since = time.monotonic()
    while True:
        tasks, active = queue_status()
        done = [task for task in waited if tasks.get(task) not in WAITING]
        failed = [task for task in done if tasks.get(task) == "Failed"]
        extra = f"{len(failed)} failed" if failed else ""
        progress.counter(len(done), len(waited), "experiments", extra)
        if len(done) == len(waited):
            break
        now = time.monotonic()
        idle_since = now if active else idle_since
        if now - idle_since > NO_WORKER_SECONDS:
            progress.finish()
            print(
                f"queue-wait: {len(waited) - len(done)} experiment(s) queued and no worker "
                "running them: start workers with `dvc queue start -j 2`",
                file=sys.stderr,
            )
            return 2
        if timeout_seconds is not None and now - started > timeout_seconds:
            progress.finish()
            print(f"queue-wait: gave up after {timeout_seconds:.0f} s", file=sys.stderr)
            return 2
        time.sleep(poll_seconds)
    progress.finish()
    print(f"queue-wait: {len(waited)} experiments finished, {len(failed)} failed")
    if failed:
        print(f"  failed: {', '.join(failed)} (dvc queue logs TASK says why)")
    return 1 if failed else 0
