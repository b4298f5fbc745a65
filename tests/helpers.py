"""Helpers shared by the tests (importable as `helpers`)."""

from __future__ import annotations

import os
from pathlib import Path

from omegaconf import DictConfig

ROOT = Path(__file__).resolve().parents[1]
SMALL_BATCHES = ["2013-01", "2013-02", "2013-03"]


def compose(*overrides: str) -> DictConfig:
    """Compose conf/ the way `make params` and `dvc exp run` do, and return it as loaded."""
    from pipeline.cli import compose_params
    from pipeline.config import load_params

    out = ROOT / ".pytest_cache" / f"params-{os.getpid()}.yaml"
    out.parent.mkdir(exist_ok=True)
    cwd = Path.cwd()
    os.chdir(ROOT)
    try:
        compose_params(list(overrides), out)
        return load_params(out)
    finally:
        os.chdir(cwd)
