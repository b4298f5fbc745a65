"""`pipeline replay --to 2013-12`: land held-back batches one at a time and run the loop on
each (see lifecycle/replaying.py)."""

from __future__ import annotations

import sys
import time
from pathlib import Path

from pipeline.config import load_params
from pipeline.errors import PipelineError
from pipeline.lifecycle.replaying import (
    pending_batches,
    replay_batch,
    require_clean_tree,
    switch_to,
)


def run(to: str, folder: Path | None, branch: str) -> int:
    """Exit 0 when every batch up to `to` is replayed (or was already), 1 when one failed."""
    try:
        require_clean_tree()
        made = switch_to(branch)
        print(f"replay: on branch {branch}{' (new, from HEAD)' if made else ''}")
        params = load_params()
        pending = pending_batches(params, to, folder)
    except PipelineError as error:
        print(f"replay: {error}", file=sys.stderr)
        return 1
    if not pending:
        print(f"replay: nothing to do, every batch up to {to} is replayed on {branch}")
        return 0
    print(f"replay: {len(pending)} batch(es): {', '.join(p.batch for p in pending)}")
    started = time.monotonic()
    for step in pending:
        began = time.monotonic()
        try:
            done = replay_batch(params, step)
        except PipelineError as error:
            print(f"replay: {error}", file=sys.stderr)
            return 1
        seconds = time.monotonic() - began
        print(f"{done.batch}: {done.decision.summary} ({seconds:.0f} s, commit {done.commit})")
        print(f"         {done.decision.reason}")
    print(
        f"replay: {len(pending)} batch(es) in {time.monotonic() - started:.0f} s; "
        f"`git log {branch}` tells each"
    )
    return 0
