"""`pipeline params`: compose conf/ into params.yaml, or check that it is in sync."""

from __future__ import annotations

import sys
from pathlib import Path

from pipeline.config import compose_params, params_in_sync


def run(overrides: list[str], output: Path, check: bool) -> int:
    """Exit 0 when written or in sync, 1 when `check` finds params.yaml stale."""
    if not check:
        compose_params(overrides, output)
        print(f"wrote {output}")
        return 0
    if params_in_sync(output):
        print(f"{output} is in sync with conf/")
        return 0
    print(
        f"{output} is stale: conf/ composes to something else. Run `make params` and commit it.",
        file=sys.stderr,
    )
    return 1
