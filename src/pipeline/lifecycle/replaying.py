"""Replay: the loop over time, one held-back batch after another (`pipeline replay`).

For each batch, what production would do when it lands: land it, pin the champion (the model
last promoted on this branch), `pipeline repro` (`dvc repro`, independent stages at once:
validation, drift, retraining, the comparison on the same rows, the gate), decide
(lifecycle/promotion.py), and commit. The git log of the
branch is the audit trail: each batch's commit names the batch, the gate's verdict and the
decision in its subject and, as git trailers (`Batch:`, `Gate:`, `Decision:`), for readers
such as the history page.

Resumable: a batch already landed on the branch is skipped, so a rerun does only what is
left. A batch that fails (a broken contract, a stage's error) stops the replay; the branch
and the workspace are put back at the last good batch's commit.
"""

from __future__ import annotations

import json
import re
import sys
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from omegaconf import DictConfig

from pipeline import progress, vcs
from pipeline.config import Reports
from pipeline.errors import ConfigError, PipelineError
from pipeline.lifecycle.batch_history import BATCH, DECISION, GATE, logged_commits
from pipeline.lifecycle.pin_champion import pin
from pipeline.lifecycle.promotion import PROMOTE, Decision, decide

LANDABLE = (".csv", ".parquet")
YEAR_MONTH = re.compile(r"^(\d{4})-(\d{2})$")


@dataclass(frozen=True)
class Pending:
    """A batch not landed yet, and how to land it (into the workspace, `dvc add`-ed)."""

    batch: str
    land: Callable[[], object]


@dataclass(frozen=True)
class Replayed:
    batch: str
    decision: Decision
    commit: str


def pending_batches(params: DictConfig, to: str, folder: Path | None) -> list[Pending]:
    """The batches after the newest landed one, up to `to` (batch ids sort as text): the
    files of `folder` in name order, else the dataset's reader of new batches by month."""
    if folder is not None:
        return _files_to_land(params, folder, to)
    return _months_to_land(params, to)


def _files_to_land(params: DictConfig, folder: Path, to: str) -> list[Pending]:
    from pipeline.data.next_batch import batch_of, batch_table, land_file, read_landed_files
    from pipeline.data.sources import read_file

    if not folder.is_dir():
        raise ConfigError(f"--folder {folder}: no such folder")
    tables, glob = batch_table(params)
    landing = Path(params.paths.landing)
    landed = {
        b
        for file in read_landed_files(landing, glob, params.source.csv, tables)
        for b in file.batches
    }
    found = []
    for path in sorted(p for p in folder.iterdir() if p.suffix in LANDABLE):
        batch = batch_of(read_file(path, params.source.csv), path, tables, None)[1]
        if batch not in landed and batch <= to:
            found.append(Pending(batch, lambda path=path: land_file(params, path, None, False)))
    return sorted(found, key=lambda pending: pending.batch)


def _months_to_land(params: DictConfig, to: str) -> list[Pending]:
    from pipeline.data.landing import land_months

    if not params.dataset.new_batch:
        raise ConfigError(
            "dataset.new_batch is not set: replay the files of a folder instead "
            "(pipeline replay --folder DIR --to BATCH)"
        )
    newest = newest_batch(params)
    start, end = YEAR_MONTH.match(newest), YEAR_MONTH.match(to)
    if start is None or end is None:
        raise ConfigError(
            f"--to {to} after batch {newest}: replaying the dataset's reader of new batches "
            "needs batch ids YYYY-MM (replay the files of a folder with --folder)"
        )
    if start[1] != end[1]:
        raise ConfigError(f"--to {to}: the reader lands months of {start[1]} only")
    return [
        Pending(f"{start[1]}-{month:02d}", lambda month=month: land_months(params, [month]))
        for month in range(int(start[2]) + 1, int(end[2]) + 1)
    ]


def newest_batch(params: DictConfig) -> str:
    """The newest batch the last run ingested (its ingest report)."""
    report = Reports(params.paths).ingest
    try:
        return json.loads(report.read_text())["newest_batch"]
    except (FileNotFoundError, KeyError, json.JSONDecodeError):
        raise PipelineError(f"{report} says no newest batch: run `make run` first") from None


def require_clean_tree() -> None:
    """Replay commits, and on a failure resets to the last commit: refuse to start over
    uncommitted changes, which that reset would lose."""
    changed = vcs.git("status", "--porcelain", "--untracked-files=no").strip()
    if changed:
        raise PipelineError(
            "the working tree has uncommitted changes (git status): commit or stash them first, "
            "replay commits each batch and resets to the last good one on a failure"
        )


def switch_to(branch: str) -> bool:
    """Work on `branch`: made from HEAD the first time (True), else switched to."""
    current = vcs.git("branch", "--show-current").strip()
    if current == branch:
        return False
    exists = vcs.git("branch", "--list", branch).strip()
    vcs.git("switch", "--quiet", *([] if exists else ["-c"]), branch)
    if exists:
        vcs.dvc("checkout", "--quiet")
    return not exists


def champion_commit() -> str:
    """The commit whose model serves: the newest promoted batch of this branch, else the
    commit the replay started from (the newest one that is not a batch)."""
    for logged in reversed(logged_commits()):
        if not logged.batch or logged.decision == PROMOTE:
            return logged.commit
    raise PipelineError("no commit to take the champion from")


def replay_batch(params: DictConfig, pending: Pending) -> Replayed:
    """Land, pin, reproduce, decide and commit one batch; on a failure put the workspace back
    at the last commit and raise a PipelineError naming the batch."""
    paths = params.paths
    good = vcs.git("rev-parse", "--short", "HEAD").strip()
    try:
        progress.step(f"{pending.batch}: landing")
        pending.land()
        champion = champion_commit()
        progress.step(f"{pending.batch}: champion is the model of {champion[:7]}")
        pin(Path(paths.champion), champion, paths.model, registry=False)
        progress.step(f"{pending.batch}: pipeline repro")
        # `make run`'s runner, as the retrain workflow: dvc repro, independent stages at once
        vcs.run([sys.executable, "-m", "pipeline.cli", "repro"], "pipeline repro")
        decision = decide(json.loads(Reports(paths).gate.read_text()))
    except PipelineError as error:
        restore_head()
        raise PipelineError(
            f"batch {pending.batch}: {error}; the branch stays at {good}, its last good batch"
        ) from None
    vcs.git("add", "--update")
    vcs.git("add", f"{paths.landing}.dvc", f"{paths.champion}.dvc")
    vcs.git("commit", "--quiet", "-m", commit_message(pending.batch, decision))
    return Replayed(pending.batch, decision, vcs.git("rev-parse", "--short", "HEAD").strip())


def restore_head() -> None:
    """The workspace as the last commit has it: tracked files, then the data DVC tracks."""
    vcs.git("reset", "--quiet", "--hard", "HEAD")
    vcs.dvc("checkout", "--quiet", "--force")


def commit_message(batch: str, decision: Decision) -> str:
    return (
        f"replay {batch}: {decision.summary}\n\n{decision.reason}\n\n"
        f"{BATCH}: {batch}\n{GATE}: {'passed' if decision.gate_passed else 'failed'}\n"
        f"{DECISION}: {decision.action}\n"
    )
