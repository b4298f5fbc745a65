"""`pipeline new-batch --month 7`: land batches from the dataset's `new_batch` reader."""

from __future__ import annotations

import sys

from pipeline.commands.land import pin_champion
from pipeline.config import load_params
from pipeline.data.landing import land_months
from pipeline.errors import PipelineError


def run(months: list[int], file_format: str) -> int:
    """Exit 0 when the batches landed, 1 when refused."""
    params = load_params()
    try:
        written = land_months(params, months, file_format)
    except PipelineError as error:
        print(f"new-batch: {error}", file=sys.stderr)
        return 1
    print("landed: " + ", ".join(written))
    pin_champion(params, "new-batch")
    pinned = f"{params.paths.champion}.dvc"
    print(f"next:   dvc repro   (then commit dvc.lock, data/landing.dvc and {pinned})")
    return 0
