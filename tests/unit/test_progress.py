"""Progress lines appear on a terminal (a real pseudo-terminal here) and never in logs."""

from __future__ import annotations

import os
import pty
import subprocess
import sys

import pytest

from pipeline.errors import ToolError
from pipeline.lifecycle.queue import STATUS_ATTEMPTS, parse_status, queue_status, wait_for_queue

SHOW = (
    "from pipeline import progress; progress.step('landing 2013-07'); "
    "progress.counter(2, 5, 'experiments', '1 failed'); progress.finish()"
)


def on_a_terminal(code: str) -> str:
    """What a program prints when its stdout and stderr are a terminal."""
    leader, follower = pty.openpty()
    process = subprocess.Popen(
        [sys.executable, "-c", code], stdout=follower, stderr=follower, stdin=follower
    )
    os.close(follower)
    chunks = []
    while True:
        try:
            chunk = os.read(leader, 4096)
        except OSError:  # the program exited and closed the terminal
            break
        if not chunk:
            break
        chunks.append(chunk)
    process.wait(timeout=30)
    os.close(leader)
    return b"".join(chunks).decode()


def test_a_terminal_sees_the_step_and_the_live_counter():
    shown = on_a_terminal(SHOW)
    assert "... landing 2013-07" in shown
    assert "\r2 of 5 experiments done (1 failed)" in shown


def test_a_log_sees_nothing():
    result = subprocess.run([sys.executable, "-c", SHOW], capture_output=True, text=True)
    assert (result.stdout, result.stderr) == ("", "")


def test_queue_status_is_read_task_by_task_with_its_workers():
    text = (
        "Task     Name        Created    Status\n"
        "20f9629  atrip-snap  02:04 AM   Success\n"
        "e919ecf  hammy-wave  02:04 AM   Running\n"
        "8fc7c1c  None        02:05 AM   Queued\n"
        "3fdeec8  ropey-suqs  02:04 AM   Failed\n"
        "\n"
        "Worker status: 1 active, 0 idle\n"
    )
    tasks, active = parse_status(text)
    assert tasks == {
        "20f9629": "Success",
        "e919ecf": "Running",
        "8fc7c1c": "Queued",
        "3fdeec8": "Failed",
    }
    assert active == 1


# A stand-in for `dvc queue status` that fails its first N reads the way dvc does when it
# catches a worker mid-write, then answers; it counts its calls in a file.
FLAKY_STATUS = """
import sys

import pytest
from pathlib import Path
calls = Path(sys.argv[1])
count = int(calls.read_text() or 0) + 1 if calls.exists() else 1
calls.write_text(str(count))
if count <= int(sys.argv[2]):
    sys.exit("ERROR: unexpected error - Expecting value: line 1 column 1 (char 0)")
print("Task     Name  Created   Status")
print("20f9629  a     02:04 AM  Running")
print("Worker status: 1 active, 0 idle")
"""


def flaky_status(tmp_path, failures: int) -> tuple[list[str], object]:
    calls = tmp_path / "calls"
    return [sys.executable, "-c", FLAKY_STATUS, str(calls), str(failures)], calls


def test_a_queue_read_caught_mid_write_is_retried(tmp_path):
    command, calls = flaky_status(tmp_path, failures=2)
    tasks, active = queue_status(command, pause_seconds=0)
    assert (tasks, active) == ({"20f9629": "Running"}, 1)
    assert calls.read_text() == "3"


def test_a_queue_that_keeps_failing_says_so(tmp_path):
    command, calls = flaky_status(tmp_path, failures=STATUS_ATTEMPTS)
    expected = f"`dvc queue status` failed: unexpected error .* \\({STATUS_ATTEMPTS} times\\)"
    with pytest.raises(ToolError, match=expected):
        queue_status(command, pause_seconds=0)
    assert calls.read_text() == str(STATUS_ATTEMPTS)


def test_a_task_missing_from_one_reading_of_the_queue_is_still_waited_for():
    """dvc moves a task between its queues: one `dvc queue status` may not list it at all."""
    readings = iter(
        [
            ({"a": "Queued", "b": "Queued"}, 1),
            ({"a": "Running", "b": "Queued"}, 1),
            ({"a": "Success"}, 1),  # b is between queues
            ({"a": "Success", "b": "Running"}, 1),
            ({"a": "Success", "b": "Failed"}, 0),
        ]
    )
    waited = wait_for_queue(poll_seconds=0, read=lambda: next(readings))
    assert (waited.waited, waited.failed, waited.gave_up) == (["a", "b"], ["b"], None)
    assert next(readings, None) is None  # it read the queue until b had finished
