"""A repository whose files source already ran on two good years, for bad-input tests.

The framework's fixture dataset (tests/data/shop): every bad-input test takes its own copy of
that state (built once per session and engine), lands a third year that is broken in one way,
runs real `dvc repro`, and then restores the last good state with `git checkout` +
`dvc checkout`, as a user would.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from pathlib import Path

import pandas as pd
import yaml
from helpers import (
    ALL_STAGES,
    FIXTURE_BATCHES,
    FIXTURE_FILES,
    commit,
    copy_state,
    make_repo,
    restore_from_head,
    run,
    stages_ran,
)

GOOD_BATCHES = FIXTURE_BATCHES[:2]  # 2019, 2020
BAD_BATCH = FIXTURE_BATCHES[2]  # 2021
TABLE = "customers"  # the fixture's one table
LANDED = f"data/landing/{TABLE}"


# engine=dask as its tests run it: two workers, and parts of 150 rows (three per year), so that
# a failure must be found and counted across parts.
DASK_ENGINE = {"engine/dask.yaml": {"workers": 2, "partition_rows": 150}}


def landed_repo(dest: Path, engine: str = "pandas") -> Path:
    """A copy at `dest` of the two good years, run on `engine`."""

    def build(repo: Path) -> None:
        edits = DASK_ENGINE if engine == "dask" else {}
        make_repo(repo, edits, {"engine": engine}, landed=len(GOOD_BATCHES))
        assert stages_ran(run(["dvc", "repro"], repo).stdout) == ALL_STAGES
        commit(repo, "two good years")

    return copy_state(f"two-good-years-{engine}", build, dest)


def good_year() -> pd.DataFrame:
    """The real rows of the year that a test lands broken, as they are when good."""
    return pd.read_csv(FIXTURE_FILES / f"{BAD_BATCH}.csv")


def land(repo: Path, file_name: str, write: Callable[[Path], None]) -> None:
    """Land the third year as `file_name`, written by `write`; then `dvc add` it."""
    write(repo / LANDED / file_name)
    run(["dvc", "add", "data/landing"], repo)


def outputs(repo: Path) -> dict[str, list[str]]:
    """Each stage's outputs and metrics, as paths relative to the repository."""
    params = yaml.safe_load((repo / "params.yaml").read_text())["paths"]
    stages = yaml.safe_load((repo / "dvc.yaml").read_text())["stages"]
    found = {}
    for name, stage in stages.items():
        declared = stage.get("outs", []) + stage.get("metrics", [])
        found[name] = [out.replace("${paths.", "{").format(**params) for out in declared]
    return found


def digest(path: Path) -> str | None:
    """md5 of a file, or of every file under a folder; None when it does not exist."""
    if path.is_dir():
        files = sorted(p for p in path.rglob("*") if p.is_file())
        return hashlib.md5(
            b"".join(digest(p).encode() + str(p.relative_to(path)).encode() for p in files)
        ).hexdigest()
    return hashlib.md5(path.read_bytes()).hexdigest() if path.exists() else None


def snapshot(repo: Path) -> dict[str, str | None]:
    return {out: digest(repo / out) for outs in outputs(repo).values() for out in outs}


def leftovers(repo: Path) -> list[str]:
    """Temporary files of interrupted writes anywhere among the outputs."""
    return [
        str(p.relative_to(repo))
        for folder in ("data", "models", "reports")
        for p in (repo / folder).rglob(".*.tmp")
    ]


def restore_last_good_state(repo: Path) -> None:
    restore_from_head(repo, "data/landing.dvc", "dvc.lock", "params.yaml", "conf/columns/shop.yaml")


def assert_stopped_cleanly(repo: Path, result, stage: str, good: dict[str, str | None]) -> None:
    """Non-zero exit at `stage`; its outputs and everything downstream untouched or absent."""
    assert result.returncode != 0
    assert f"failed to reproduce '{stage}'" in result.stderr + result.stdout
    downstream = ALL_STAGES[ALL_STAGES.index(stage) :]
    produced = outputs(repo)
    for name in downstream:
        for out in produced[name]:
            if out.startswith("reports/validation/"):
                continue  # the failing stage's report is written on purpose
            now = digest(repo / out)
            if name == stage:
                assert now is None, f"{stage} failed but {out} exists"
            else:
                assert now in (None, good[out]), f"{out} changed although {stage} failed"
    assert leftovers(repo) == []


def assert_restored(repo: Path, good: dict[str, str | None]) -> None:
    assert snapshot(repo) == good
    landed = sorted(p.name for p in (repo / LANDED).iterdir())
    assert landed == [f"{batch}.csv" for batch in GOOD_BATCHES]
    assert run(["dvc", "status"], repo).stdout.strip().endswith("up to date.")
    assert run(["git", "status", "--porcelain"], repo).stdout == ""
