"""`pipeline history`: reports/history.html, the loop over time (see lifecycle/batch_history.py)."""

from __future__ import annotations

import sys
from pathlib import Path

from pipeline.config import load_params
from pipeline.errors import PipelineError
from pipeline.io import write_text
from pipeline.lifecycle.batch_history import current_branch, export_pages, history
from pipeline.reporting.history_page import EXPORTS, PAGE, render_history


def run() -> int:
    """Exit 0 with the page written (one saying so when the branch has no batch commit), 1
    when git or DVC cannot be read."""
    page = Path(load_params().paths.index).parent / PAGE
    try:
        branch = current_branch()
        rows = history()
        unreadable = export_pages(rows, page.parent / EXPORTS)
    except PipelineError as error:
        print(f"history: {error}", file=sys.stderr)
        return 1
    write_text(render_history(rows, branch=branch), page)
    if not rows:
        print(f"history: no batch commits on {branch} yet; wrote {page}, which says so")
        return 0
    print(
        f"history: {len(rows)} batch(es) of {branch}, {rows[0].batch}..{rows[-1].batch}: "
        f"wrote {page}, each batch's reports in {page.parent / EXPORTS}/"
    )
    for row in rows:
        if row.missing:
            print(f"  {row.batch} ({row.short}): not readable: {', '.join(row.missing)}")
    if unreadable:
        print(f"  not exported (`dvc pull` fetches them): {', '.join(unreadable)}")
    return 0
