"""`pipeline champion`: pin the model the next run is compared with (see lifecycle/pinned.py)."""

from __future__ import annotations

import sys
from pathlib import Path

from pipeline.config import load_params
from pipeline.errors import PipelineError
from pipeline.lifecycle.pin_champion import pin
from pipeline.lifecycle.pinned import describe


def run(base: str) -> int:
    """Exit 0 when pinned (or none found), 1 with the reason."""
    paths = load_params().paths
    folder = Path(paths.champion)
    try:
        found = pin(folder, base, paths.model)
    except PipelineError as error:
        print(f"champion: {error}", file=sys.stderr)
        return 1
    if found is None:
        print(f"champion: none (no version in prod, no model in {base}'s dvc.lock)")
    else:
        print(f"champion: {describe(found)}")
    print(f"pinned in {folder}.dvc: commit it; `dvc repro` compares the new model with it")
    return 0
