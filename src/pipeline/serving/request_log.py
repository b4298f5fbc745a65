"""Every prediction, appended as one JSON line: what the pipeline reads back for monitoring.

Safe under concurrent requests (a thread lock, plus an advisory file lock for several server
processes) and rotated by size: a full file is renamed with a timestamp and a new one begun.
"""

from __future__ import annotations

import fcntl
import json
import threading
import time
from pathlib import Path
from typing import Any

# One encoder for every line: `json.dumps(record, sort_keys=True)` builds a new one per call,
# which is a tenth of the cost of logging a 1,000-row request. Same text either way.
_LINE = json.JSONEncoder(sort_keys=True)


class RequestLog:
    def __init__(self, path: str | Path, rotate_bytes: int):
        self.path = Path(path)
        self.rotate_bytes = rotate_bytes
        self._lock = threading.Lock()
        self.path.parent.mkdir(parents=True, exist_ok=True)

    def append(self, records: list[dict[str, Any]]) -> None:
        lines = "".join(_LINE.encode(record) + "\n" for record in records)
        with self._lock, open(self.path, "a", encoding="utf-8") as handle:
            fcntl.flock(handle, fcntl.LOCK_EX)
            try:
                handle.write(lines)
                handle.flush()
                if handle.tell() >= self.rotate_bytes:
                    stamp = time.strftime("%Y%m%dT%H%M%S", time.gmtime())
                    self.path.rename(
                        self.path.with_name(f"{self.path.stem}-{stamp}-{time.time_ns()}.jsonl")
                    )
            finally:
                fcntl.flock(handle, fcntl.LOCK_UN)

    def files(self) -> list[Path]:
        """Rotated files, oldest first, then the current one."""
        rotated = sorted(self.path.parent.glob(f"{self.path.stem}-*.jsonl"))
        return rotated + ([self.path] if self.path.exists() else [])
