"""`pipeline land FILE`: the next batch of a team's own data (see data/next_batch.py)."""

from __future__ import annotations

import sys
from pathlib import Path

from omegaconf import DictConfig

from pipeline.config import load_params
from pipeline.data.next_batch import land_file
from pipeline.errors import PipelineError


def run(path: Path, batch: str | None, replace: bool) -> int:
    """Exit 0 when the batch landed, 1 when it was refused (nothing changed)."""
    params = load_params()
    try:
        landed = land_file(params, path, batch, replace)
    except PipelineError as error:
        print(f"land: {error}", file=sys.stderr)
        return 1
    replaced = f", in place of {', '.join(map(str, landed.replaced))}" if landed.replaced else ""
    print(
        f"land: batch {landed.batch} ({landed.rows:,} rows of {path}, within the raw contract) "
        f"-> {landed.path}{replaced}; dvc add {params.paths.landing}"
    )
    pin_champion(params, "land")
    pinned = f"{params.paths.champion}.dvc"
    print(f"next:   make run   (then commit dvc.lock, {params.paths.landing}.dvc and {pinned})")
    return 0


def pin_champion(params: DictConfig, command: str) -> None:
    """Pin the model trained before this batch (prod's version, else HEAD's) as the one the next
    run is compared with. Once the batch has landed: a refusal changes nothing. A failure only
    warns: the batch has landed, and the run compares with whatever was pinned before."""
    from pipeline.lifecycle.pin_champion import pin
    from pipeline.lifecycle.pinned import describe

    try:
        champion = describe(pin(Path(params.paths.champion), "HEAD", params.paths.model))
    except PipelineError as error:
        print(f"{command}: warning: the champion was not pinned again: {error}", file=sys.stderr)
        return
    if champion:
        print(f"champion: {champion}")
