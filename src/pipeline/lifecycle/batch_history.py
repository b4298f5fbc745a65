"""The loop over time, read back from git and DVC: the history page and the retrain pull request.

The batch commits of the current branch are those whose message carries a `Batch:` trailer
(replay writes it, with `Gate:` and `Decision:`), in first-parent order, oldest first. Each
one's numbers are read from the reports that commit holds, at that revision, through DVC:
git and DVC are the store, nothing is kept twice. A report a commit's DVC cache cannot give
(never pulled, garbage-collected) leaves its numbers empty and is named, not guessed.
"""

from __future__ import annotations

import json
import posixpath
import re
import shutil
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from html import unescape
from pathlib import Path
from typing import Any

import yaml

from pipeline import vcs
from pipeline.config import PARAMS_FILE, Reports
from pipeline.io import atomic_dir
from pipeline.lifecycle.promotion import PROMOTE
from pipeline.modeling.tasks import task_info
from pipeline.reporting.history_page import BatchRow
from pipeline.reporting.numbers import measured

BATCH, GATE, DECISION = "Batch", "Gate", "Decision"  # the trailers of a batch's commit
EXPORTED_PAGE = "index.html"  # each batch's page in its folder: history/<short sha>/index.html
SHORT_SHA = re.compile(r"^[0-9a-f]{4,40}$")
HREF = re.compile(r'href="([^"]*)"')


@dataclass(frozen=True)
class BatchCommit:
    """A commit of the branch that landed a batch, as its message states it."""

    commit: str
    short: str
    subject: str
    batch: str
    gate: str  # the Gate trailer: passed | failed
    decision: str  # the Decision trailer: promote | keep


def batch_commits(ref: str = "HEAD") -> list[BatchCommit]:
    """The batch commits of `ref`'s first-parent history, oldest first."""
    return [found for found in logged_commits(ref) if found.batch]


def logged_commits(ref: str = "HEAD") -> list[BatchCommit]:
    """Every commit of `ref`'s first-parent history, oldest first; `batch` is empty for a
    commit that landed no batch."""
    trailers = [
        f"%(trailers:key={key},valueonly,separator=%x2C)" for key in (BATCH, GATE, DECISION)
    ]
    shown = vcs.git(
        "log",
        "--first-parent",
        "--reverse",
        f"--format=%H%x1f%h%x1f%s%x1f{'%x1f'.join(trailers)}%x1e",
        ref,
    )
    found = []
    for record in shown.split("\x1e"):
        fields = [field.strip() for field in record.split("\x1f")]
        if len(fields) == 6:
            found.append(BatchCommit(*fields))
    return found


def current_branch() -> str:
    """The branch checked out (`HEAD` when detached)."""
    return vcs.git("rev-parse", "--abbrev-ref", "HEAD").strip()


def history(last: int | None = None) -> list[BatchRow]:
    """Each batch commit of the current branch with its numbers, oldest first (only the `last`
    few when given)."""
    found = batch_commits()
    if last is not None:
        found = found[-last:] if last > 0 else []
    return [read_batch(commit) for commit in found]


def params_at(commit: str) -> dict[str, Any]:
    """params.yaml as `commit` holds it: where that commit's reports were written."""
    return yaml.safe_load(vcs.git("show", f"{commit}:{PARAMS_FILE.as_posix()}"))


def read_batch(found: BatchCommit) -> BatchRow:
    """A batch commit's numbers, read at that revision."""
    reports = Reports(params_at(found.commit)["paths"])
    files = {
        "comparison": reports.comparison,
        "data": reports.data,
        "fairness": reports.fairness,
        "gate": reports.gate,
    }
    read, missing = {}, []
    with revision(found.commit) as fs:
        for name, path in files.items():
            text = read_text(fs, path.as_posix())
            try:
                read[name] = json.loads(text) if text is not None else None
            except ValueError:
                read[name] = None
            if read[name] is None:
                missing.append(path.as_posix())
    return batch_row(found, missing=tuple(missing), **read)


def batch_row(
    found: BatchCommit,
    *,
    comparison: dict | None = None,
    data: dict | None = None,
    fairness: dict | None = None,
    gate: dict | None = None,
    missing: tuple[str, ...] = (),
) -> BatchRow:
    """One row from a batch commit's reports (compare.json, data.json, fairness.json,
    gate.json): what the page and the pull request show."""
    comparison, data, fairness = comparison or {}, data or {}, fairness or {}
    metric = comparison.get("primary")
    task = comparison.get("task")

    def current(role: str) -> float | None:
        return measured((comparison.get(role) or {}).get("current", {}).get(metric))

    sure = (comparison.get("confidence") or {}).get("current") or {}
    interval = sure.get("difference") or {}
    gaps = {
        measure: value
        for measure, value in (fairness.get("current") or {}).items()
        if measured(value) is not None
    }
    worst = max(gaps, key=lambda measure: gaps[measure], default=None)
    failed = tuple(check["text"] for check in (gate or {}).get("checks", []) if not check["passed"])
    return BatchRow(
        batch=found.batch,
        commit=found.commit,
        short=found.short,
        subject=found.subject,
        gate=found.gate if gate is None else ("passed" if gate["passed"] else "failed"),
        decision=found.decision,
        promoted=found.decision == PROMOTE,
        metric=metric,
        higher_is_better=task_info(task).higher_is_better if task else True,
        status=comparison.get("status"),
        decay=current("champion"),
        retrained=current("challenger"),
        difference=current("difference"),
        low=measured(interval.get("low")),
        high=measured(interval.get("high")),
        level=measured(sure.get("level")),
        mcnemar_p=measured((sure.get("mcnemar") or {}).get("p_value")),
        drift_share=measured((data.get("drift") or {}).get("drifted_share")),
        fairness_gap=measured(gaps[worst]) if worst else None,
        fairness_measure=worst,
        gate_failed=failed,
        gate_checks=len(gate["checks"]) if gate else None,
        missing=missing,
    )


def export_pages(rows: list[BatchRow], folder: Path) -> list[str]:
    """Each batch commit's reports page, and the reports it links to, into
    `folder/<short sha>/` as that commit holds them, so the history page's links open
    offline; folders of commits no longer in `rows` go. A commit's reports never change:
    one exported before is kept. Returns the files no commit's cache could give."""
    wanted = {row.short for row in rows}
    if folder.is_dir():
        for old in folder.iterdir():
            if old.is_dir() and SHORT_SHA.match(old.name) and old.name not in wanted:
                shutil.rmtree(old)
    missing = []
    for row in rows:
        if not (folder / row.short / EXPORTED_PAGE).exists():
            missing += export_page(row.commit, folder / row.short)
    return missing


def export_page(commit: str, dest: Path) -> list[str]:
    """`commit`'s reports page as dest/index.html and each report it links to at the same
    relative path beside it; the files it could not read."""
    index = Path(params_at(commit)["paths"]["index"])
    missing = []
    with revision(commit) as fs:
        page = read_text(fs, index.as_posix())
        if page is None:
            return [f"{index.as_posix()} at {commit[:7]}"]
        with atomic_dir(dest) as staged:
            (staged / EXPORTED_PAGE).write_text(page)
            for href in linked_files(page):
                source = posixpath.join(index.parent.as_posix(), href)
                if not copy_file(fs, source, staged / href):
                    missing.append(f"{source} at {commit[:7]}")
    return missing


def linked_files(page: str) -> list[str]:
    """The files a page links to inside its own folder (relative, no scheme, not above it)."""
    found = []
    for href in HREF.findall(page):
        path = unescape(href).split("#")[0].split("?")[0]
        if not path or ":" in path or path.startswith("/"):
            continue
        path = posixpath.normpath(path)
        if path != ".." and not path.startswith("../") and path not in found:
            found.append(path)
    return found


@contextmanager
def revision(commit: str) -> Iterator[Any]:
    """DVC's view of the repository at `commit` (a DVCFileSystem): git-tracked files and
    DVC outputs alike, read from the cache (or the remote)."""
    from dvc.api import DVCFileSystem

    fs = DVCFileSystem(".", rev=commit)
    try:
        yield fs
    finally:
        fs.close()


def read_text(fs: Any, path: str) -> str | None:
    """A file at the revision, or None when it has none (or its cache lacks it)."""
    from dvc.exceptions import DvcException

    try:
        return fs.read_text(path)
    except (OSError, DvcException):  # a missing cache file is a FileNotFoundError
        return None


def copy_file(fs: Any, source: str, target: Path) -> bool:
    """Copy a file at the revision to `target`; False when it has none."""
    from dvc.exceptions import DvcException

    target.parent.mkdir(parents=True, exist_ok=True)
    try:
        with fs.open(source, "rb") as read, open(target, "wb") as written:
            shutil.copyfileobj(read, written)
    except (OSError, DvcException):
        target.unlink(missing_ok=True)
        return False
    return True
