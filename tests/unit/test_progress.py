"""Progress lines appear on a terminal (a real pseudo-terminal here) and never in logs."""

from __future__ import annotations

import os
import pty
import subprocess
import sys

from pipeline.lifecycle.queue import parse_status

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
