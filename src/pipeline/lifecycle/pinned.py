"""The pinned champion: the model a retrained one must not be worse than, a DVC input.

`pipeline champion` (`make champion`, lifecycle/pin_champion.py) resolves it, in this order:
1. the version in the registry's `prod` stage (`dvc artifacts get`);
2. else the model recorded in the base revision's dvc.lock (what that branch last trained);
3. else none.

It writes `paths.champion` (the model file and champion.json, saying where it came from) and
`dvc add`s that folder, so the pin is a commit's input like a landed batch: a fresh clone
reproduces the same comparison offline, and a new champion reruns only the stages after
train that read it. "None" is the empty folder, reproducible with no cache at all.
"""

from __future__ import annotations

import json
from pathlib import Path

MODEL_FILE = "model.skops"
INFO_FILE = "champion.json"


def read_pin(folder: Path) -> dict | None:
    """Where the pinned champion came from, or None when none is pinned (an empty folder)."""
    info = folder / INFO_FILE
    return json.loads(info.read_text()) if info.exists() else None


def describe(pin: dict | None) -> str:
    """One line naming the champion, for the command, the reports and the pull request."""
    if pin is None:
        return "none"
    if pin["source"] == "registry":
        return f"{pin['artifact']} {pin['version']} (stage {pin['stage']})"
    return f"the model of {pin['ref']} ({pin['commit'][:7]}, dvc.lock)"
