"""What the worker processes of one server tell each other, through files in the directory
they share ($PROMETHEUS_MULTIPROC_DIR, where their metrics are too).

A reload is a request to one worker: that worker loads the new model, answers, and bumps a
generation number here; every other worker sees the number change within `POLL_SECONDS`
and loads the same files. A worker gunicorn restarts later is forked from the app as first
built: it sees a newer generation than that app knew and loads the files too.
"""

from __future__ import annotations

import fcntl
import glob
import os
import tempfile
from pathlib import Path

POLL_SECONDS = 0.5
GENERATION_FILE = "reload-generation"
READY_FILE = "ready"
SHARED = "PROMETHEUS_MULTIPROC_DIR"

_prepared: tuple[str, bool] | None = None


def shared_dir() -> str | None:
    """Where the worker processes share metrics and reloads; None for a single process."""
    return os.environ.get(SHARED) or None


def prepare_shared_dir() -> tuple[str, bool]:
    """The directory this server's workers share, set in the environment (once per process):
    a new temporary one, or the one given, emptied of what an earlier server left there.
    Returns it and whether it was created here (then it is removed on exit).

    It must be set before prometheus_client is imported: that is when it picks its mode.
    """
    global _prepared
    if _prepared:
        return _prepared
    if not os.environ.get(SHARED):
        os.environ[SHARED] = tempfile.mkdtemp(prefix="pipeline-serve-")
        _prepared = os.environ[SHARED], True
        return _prepared
    directory = os.environ[SHARED]
    os.makedirs(directory, exist_ok=True)
    stale = glob.glob(os.path.join(directory, "*.db"))
    stale += [os.path.join(directory, name) for name in (GENERATION_FILE, READY_FILE)]
    for path in stale:
        if os.path.exists(path):
            os.remove(path)
    _prepared = directory, False
    return _prepared


class Siblings:
    def __init__(self, directory: str | Path | None):
        self.directory = Path(directory) if directory else None

    @property
    def shared(self) -> bool:
        return self.directory is not None

    def generation(self) -> int:
        if not self.directory:
            return 0
        try:
            return int((self.directory / GENERATION_FILE).read_text() or 0)
        except FileNotFoundError:
            return 0

    def announce_reload(self) -> int:
        """Bump the generation (under a lock: two reloads at once make two bumps)."""
        if not self.directory:
            return 0
        with open(self.directory / f"{GENERATION_FILE}.lock", "a") as lock:
            fcntl.flock(lock, fcntl.LOCK_EX)
            generation = self.generation() + 1
            written = self.directory / f"{GENERATION_FILE}.{os.getpid()}"
            written.write_text(str(generation))
            written.replace(self.directory / GENERATION_FILE)  # readers see old or new, whole
        return generation

    def first_ready(self) -> bool:
        """True for the first worker to ask, once per server (and always without siblings)."""
        if not self.directory:
            return True
        try:
            os.close(os.open(self.directory / READY_FILE, os.O_CREAT | os.O_EXCL | os.O_WRONLY))
        except FileExistsError:
            return False
        return True
