"""A repository whose files source already ran on two good months, for bad-input tests.

Every bad-input test lands a third month that is broken in one way, runs real `dvc repro`,
and then restores the last good state with `git checkout` + `dvc checkout`.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from pathlib import Path

import pandas as pd
import yaml
from helpers import ALL_STAGES, SMALL_MODELS, commit, make_repo, run, stages_ran

from pipeline.data.sources import read_example

BAD_BATCH = "2013-03"


def make_landed_repo(dest: Path) -> Path:
    repo = make_repo(dest, SMALL_MODELS, {"source": "files"})
    run(["python", "-m", "pipeline.cli", "new-batch", "--month", "1", "2"], repo)
    assert stages_ran(run(["dvc", "repro"], repo).stdout) == ALL_STAGES
    commit(repo, "two good months")
    return repo


def march() -> tuple[pd.DataFrame, pd.DataFrame]:
    """The real March flights (without batch ids: the file name gives them) and weather."""
    flights, weather = read_example([BAD_BATCH])
    return flights.drop(columns="batch"), weather


def land(repo: Path, flights_file: str, write: Callable[[Path], None]) -> None:
    """Land March: good weather, and flights written by `write`; then `dvc add` it."""
    _, weather = march()
    landing = repo / "data" / "landing"
    weather.to_parquet(landing / "weather" / f"{BAD_BATCH}.parquet", index=False)
    write(landing / "flights" / flights_file)
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
    run(["git", "checkout", "HEAD", "--", "data/landing.dvc", "dvc.lock", "params.yaml"], repo)
    run(["dvc", "checkout", "--force"], repo)


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
    landed = sorted(p.name for p in (repo / "data/landing/flights").iterdir())
    assert landed == ["2013-01.parquet", "2013-02.parquet"]
    assert run(["dvc", "status"], repo).stdout.strip().endswith("up to date.")
    assert run(["git", "status", "--porcelain"], repo).stdout == ""
