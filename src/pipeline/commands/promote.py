"""`pipeline promote --stage prod`: a model version to a stage (see lifecycle/registry.py)."""

from __future__ import annotations

import sys

from pipeline.errors import PipelineError
from pipeline.lifecycle.registry import artifact_name, promote


def run(stage: str, version: str | None, force: bool) -> int:
    """Exit 0 when assigned, 1 with the reason (a refusal names how to force it)."""
    try:
        version = promote(stage, version, force)
    except PipelineError as error:
        print(f"promote: {error}", file=sys.stderr)
        return 1
    name = artifact_name()
    print(f"{name} {version} is now in stage {stage}")
    print(f"fetch it with: dvc artifacts get . {name} --stage {stage}")
    return 0
