"""`pipeline register`: tag this commit's model as a new version (see lifecycle/registry.py)."""

from __future__ import annotations

import sys

from pipeline.errors import PipelineError
from pipeline.lifecycle.registry import artifact_name, register


def run(message: str) -> int:
    """Exit 0 when registered, 1 with the reason."""
    try:
        version = register(message)
    except PipelineError as error:
        print(f"register: {error}", file=sys.stderr)
        return 1
    print(f"registered {artifact_name()} {version}")
    print(f"next: make promote STAGE=prod VERSION={version}")
    return 0
