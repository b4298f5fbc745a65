"""`git` and `dvc`, run the one way: output captured, a failure a `ToolError` in one line.

Every command of the pipeline that drives git or DVC goes through here, so a failed
subprocess reaches the user as "`dvc add data/landing` failed: <dvc's reason>", never as a
traceback, whichever command ran it.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from pipeline.errors import ToolError


def dvc(*args: str | Path, cwd: Path | None = None) -> str:
    """Run `dvc ARGS` with this interpreter's DVC; its stdout, or a ToolError."""
    return run([sys.executable, "-m", "dvc", *map(str, args)], f"dvc {_shown(args)}", cwd)


def git(*args: str | Path, cwd: Path | None = None) -> str:
    """Run `git ARGS`; its stdout, or a ToolError."""
    return run(["git", *map(str, args)], f"git {_shown(args)}", cwd)


def _shown(args: tuple) -> str:
    return " ".join(map(str, args))


def run(command: list[str], shown: str, cwd: Path | None = None) -> str:
    """Run `command` (called `shown` in messages); its stdout, or a ToolError."""
    try:
        done = subprocess.run(command, capture_output=True, text=True, cwd=cwd, check=False)
    except OSError as error:  # git or the interpreter is missing
        raise ToolError(f"`{shown}` could not start: {error}") from None
    if done.returncode != 0:
        raise ToolError(f"`{shown}` failed: {reason(done.stderr or done.stdout, done.returncode)}")
    return done.stdout


def reason(stderr: str, code: int) -> str:
    """The tool's ERROR lines (dvc), else the exception that ends a traceback, else its last
    line, else its exit code."""
    lines = [line.strip() for line in stderr.splitlines() if line.strip()]
    errors = [
        line.removeprefix("ERROR: ").removeprefix("error: ").removeprefix("fatal: ")
        for line in lines
        if line.startswith(("ERROR:", "error:", "fatal:"))
    ]
    if errors:
        return "; ".join(errors)
    raw = stderr.splitlines()
    frames = [i for i, line in enumerate(raw) if line.startswith((" ", "Traceback"))]
    if frames:
        tail = [line.strip() for line in raw[frames[-1] + 1 :] if line.strip()]
        return " ".join(tail) or f"exit {code}"
    return lines[-1] if lines else f"exit {code}"
