"""Every source through real `dvc repro`, and new data arriving with `new-batch`.

Each test builds a fresh git repository from the working tree, picks a source, lands real
months of the example with `python -m pipeline.cli new-batch`, and runs the same pipeline.
"""

from __future__ import annotations

import json
from pathlib import Path

import pandas as pd
import pytest
import sqlalchemy as sa
from helpers import ALL_STAGES, SMALL_MODELS, commit, make_repo, run, stages_ran
from postgres import running_postgres, why_unavailable

pytestmark = pytest.mark.slow


def new_batch(repo: Path, *months: int, file_format: str = "parquet", env: dict | None = None):
    cmd = ["python", "-m", "pipeline.cli", "new-batch", "--format", file_format, "--month"]
    return run([*cmd, *map(str, months)], repo, env=env)


def ingest_report(repo: Path) -> dict:
    return json.loads((repo / "reports/validation/ingest.json").read_text())


def test_files_source_retrains_when_a_new_batch_lands(tmp_path):
    repo = make_repo(tmp_path / "repo", SMALL_MODELS, {"source": "files"})
    landed = new_batch(repo, 1, 2, 3)
    assert "data/landing/flights/2013-03.parquet" in landed.stdout
    assert stages_ran(run(["dvc", "repro"], repo).stdout) == ALL_STAGES
    report = ingest_report(repo)
    assert report["source"] == "files" and report["newest_batch"] == "2013-03"
    assert [b["origin"] for b in report["batches"]] == [
        f"data/landing/flights/2013-0{month}.parquet" for month in (1, 2, 3)
    ]
    commit(repo, "three months")

    # New data arrives as a CSV: git sees the arrival as a change of the landing pointer.
    new_batch(repo, 4, file_format="csv")
    changed = run(["git", "status", "--porcelain"], repo).stdout
    assert "data/landing.dvc" in changed
    assert "data/landing" in run(["dvc", "status", "ingest"], repo).stdout
    assert stages_ran(run(["dvc", "repro"], repo).stdout) == ALL_STAGES
    assert ingest_report(repo)["newest_batch"] == "2013-04"
    scored = pd.read_parquet(repo / "reports/evaluate/predictions.parquet")
    assert set(scored.loc[scored["split"] == "current", "batch"]) == {"2013-04"}
    assert set(scored.loc[scored["split"] == "holdout", "batch"]) <= {
        "2013-01",
        "2013-02",
        "2013-03",
    }
    diff = run(["dvc", "metrics", "diff", "--json"], repo).stdout
    assert "reports/validation/ingest.json" in json.loads(diff)

    refused = run(["python", "-m", "pipeline.cli", "new-batch", "--month", "4"], repo, check=False)
    assert refused.returncode == 1
    assert "2013-04 has already landed: data/landing/flights/2013-04.csv" in refused.stderr


def test_sqlite_source_runs_the_same_pipeline(tmp_path):
    repo = make_repo(tmp_path / "repo", SMALL_MODELS, {"source": "sql"})
    new_batch(repo, 1, 2, 3)  # appends to tables in data/landing/flights.sqlite, then dvc add
    assert (repo / "data/landing/flights.sqlite").is_file()
    assert stages_ran(run(["dvc", "repro"], repo).stdout) == ALL_STAGES
    report = ingest_report(repo)
    assert report["source"] == "sql" and report["batch_count"] == 3
    assert report["batches"][0]["origin"] == "sqlite:///data/landing/flights.sqlite"
    assert run(["dvc", "status"], repo).stdout.strip().endswith("up to date.")


def test_postgres_source_takes_its_url_from_the_environment_and_never_records_the_password(
    tmp_path,
):
    reason = why_unavailable()
    if reason:
        pytest.skip(reason)
    repo = make_repo(tmp_path / "repo", SMALL_MODELS, {"source": "sql"})
    with running_postgres() as url:
        env = {"PIPELINE_SQL_URL": url}
        password = sa.engine.make_url(url).password
        new_batch(repo, 1, 2, 3, env=env)
        assert not (repo / "data/landing/flights.sqlite").exists()
        assert stages_ran(run(["dvc", "repro"], repo, env=env).stdout) == ALL_STAGES
        report = ingest_report(repo)
        assert report["batch_count"] == 3
        assert report["batches"][0]["origin"].startswith("postgresql+psycopg://pipeline:***@")
        # Without the URL the source falls back to the SQLite file, which does not exist here.
        no_url = run(["dvc", "repro", "--force", "ingest"], repo, check=False)
        assert no_url.returncode != 0
        assert "the SQLite file data/landing/flights.sqlite does not exist" in no_url.stderr
    tracked = run(["git", "ls-files", "-co", "--exclude-standard"], repo).stdout.split()
    for name in [*tracked, "dvc.lock"]:
        path = repo / name
        if path.is_file():
            assert password not in path.read_text(errors="ignore"), f"{name} holds the password"
    for report in (repo / "reports").rglob("*.json"):
        assert password not in report.read_text()
