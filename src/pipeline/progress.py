"""Progress for a person at a terminal, and silence in logs.

Long waits (a queued sweep, a search inside train, landing batches, `init`) say what they
are doing when stderr is a terminal. Without one (CI, `dvc repro` into a file) they print
nothing extra, so logs stay what they were.
"""

from __future__ import annotations

import sys


def interactive() -> bool:
    return sys.stderr.isatty()


def step(message: str) -> None:
    """One line of what is happening now, on a terminal only."""
    if interactive():
        print(f"... {message}", file=sys.stderr, flush=True)


def counter(done: int, total: int, what: str, extra: str = "") -> None:
    """`k of N what done` rewritten in place on a terminal; nothing elsewhere."""
    if interactive():
        tail = f" ({extra})" if extra else ""
        print(f"\r{done} of {total} {what} done{tail}   ", end="", file=sys.stderr, flush=True)


def finish() -> None:
    """End a counter's line."""
    if interactive():
        print(file=sys.stderr, flush=True)
