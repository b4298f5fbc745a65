"""Every source through real `dvc repro`, and new data arriving as the next landed batch.

Each test builds a fresh git repository from the working tree with the framework's fixture
dataset (tests/data/shop: one CSV per year), picks a source, lands years of it where that
source reads them, and runs the same pipeline.
"""

from __future__ import annotations

import json
from pathlib import Path

import pandas as pd
import pytest
import sqlalchemy as sa
from helpers import (
    ALL_STAGES,
    FIXTURE_BATCHES,
    FIXTURE_FILES,
    build_three_years,
    copy_state,
    make_repo,
    run,
    stages_ran,
)
from postgres import running_postgres, why_unavailable

pytestmark = pytest.mark.slow


def ingest_report(repo: Path) -> dict:
    return json.loads((repo / "reports/validation/ingest.json").read_text())


def append_to_sql(url: str, batches: list[str]) -> None:
    """Append fixture years to the table `customers` of a database, as an export job would."""
    engine = sa.create_engine(url)
    try:
        with engine.begin() as connection:
            for batch in batches:
                frame = pd.read_csv(FIXTURE_FILES / f"{batch}.csv")
                frame.to_sql("customers", connection, if_exists="append", index=False)
    finally:
        engine.dispose()


def test_files_source_retrains_when_a_new_batch_lands(tmp_path):
    repo = copy_state("three-years", build_three_years, tmp_path / "repo")
    report = ingest_report(repo)
    assert report["source"] == "files" and report["newest_batch"] == "2021"
    assert [b["origin"] for b in report["batches"]] == [
        f"data/landing/customers/{year}.csv" for year in ("2019", "2020", "2021")
    ]

    # The next year arrives as a Parquet file next to the CSVs: git sees the arrival as a
    # change of the landing pointer.
    landed = repo / "data/landing/customers/2022.parquet"
    pd.read_csv(FIXTURE_FILES / "2022.csv").to_parquet(landed, index=False)
    run(["dvc", "add", "data/landing"], repo)
    changed = run(["git", "status", "--porcelain"], repo).stdout
    assert "data/landing.dvc" in changed
    assert "data/landing" in run(["dvc", "status", "ingest"], repo).stdout
    assert stages_ran(run(["dvc", "repro"], repo).stdout) == ALL_STAGES
    report = ingest_report(repo)
    assert report["newest_batch"] == "2022"
    assert report["batches"][-1]["origin"] == "data/landing/customers/2022.parquet"
    scored = pd.read_parquet(repo / "reports/evaluate/predictions.parquet")
    assert set(scored.loc[scored["split"] == "current", "batch"]) == {"2022"}
    assert set(scored.loc[scored["split"] == "holdout", "batch"]) <= {"2019", "2020", "2021"}
    diff = json.loads(run(["dvc", "metrics", "diff", "--json"], repo).stdout)
    assert "reports/evaluate/metrics.json" in diff
    # Row counts are plain outputs, not metrics to compare.
    assert "reports/validation/ingest.json" not in diff

    # `new-batch` is the dataset's own reader of new batches; the fixture has none, and says
    # how its data lands instead.
    refused = run(["python", "-m", "pipeline.cli", "new-batch", "--month", "4"], repo, check=False)
    assert refused.returncode == 1
    assert "dataset.new_batch is not set" in refused.stderr
    assert "Land each new file with `pipeline land FILE`" in refused.stderr
    assert "put it in data/landing/<table>/ and run `dvc add data/landing`" in refused.stderr


def test_sqlite_source_runs_the_same_pipeline(tmp_path):
    repo = make_repo(tmp_path / "repo", choices={"source": "sql"}, landed=0)
    # The default URL is an SQLite file inside data/landing/, named after the dataset.
    append_to_sql(f"sqlite:///{repo}/data/landing/shop.sqlite", FIXTURE_BATCHES[:3])
    run(["dvc", "add", "data/landing"], repo)
    assert stages_ran(run(["dvc", "repro"], repo).stdout) == ALL_STAGES
    report = ingest_report(repo)
    assert report["source"] == "sql" and report["batch_count"] == 3
    assert report["newest_batch"] == "2021"
    assert report["batches"][0]["origin"] == "sqlite:///data/landing/shop.sqlite"
    assert run(["dvc", "status"], repo).stdout.strip().endswith("up to date.")


def test_postgres_source_takes_its_url_from_the_environment_and_never_records_the_password(
    tmp_path,
):
    reason = why_unavailable()
    if reason:
        pytest.skip(reason)
    repo = make_repo(tmp_path / "repo", choices={"source": "sql"}, landed=0)
    with running_postgres() as url:
        env = {"PIPELINE_SQL_URL": url}
        password = sa.engine.make_url(url).password
        append_to_sql(url, FIXTURE_BATCHES[:3])
        assert not (repo / "data/landing/shop.sqlite").exists()
        assert stages_ran(run(["dvc", "repro"], repo, env=env).stdout) == ALL_STAGES
        report = ingest_report(repo)
        assert report["batch_count"] == 3
        assert report["batches"][0]["origin"].startswith("postgresql+psycopg://pipeline:***@")
        # Without the URL the source falls back to the SQLite file, which does not exist here.
        no_url = run(["dvc", "repro", "--force", "ingest"], repo, check=False)
        assert no_url.returncode != 0
        assert "the SQLite file data/landing/shop.sqlite does not exist" in no_url.stderr
    tracked = run(["git", "ls-files", "-co", "--exclude-standard"], repo).stdout.split()
    for name in [*tracked, "dvc.lock"]:
        path = repo / name
        if path.is_file():
            assert password not in path.read_text(errors="ignore"), f"{name} holds the password"
    for report in (repo / "reports").rglob("*.json"):
        assert password not in report.read_text()
