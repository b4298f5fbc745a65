"""`pipeline land FILE`: the next batch of a team's own data, checked, landed and versioned.

The framework's fixture dataset (tests/data/shop, the files source): 2019..2023 have landed and
run; 2024's file arrives. The repository is built and run once; a test that lands something
works on a copy of it.
"""

from __future__ import annotations

import json
from pathlib import Path

import pandas as pd
import pytest
from helpers import (
    FIXTURE_BATCHES,
    FIXTURE_FILES,
    ROOT,
    build_five_years,
    commit,
    copy_repo,
    copy_state,
    make_repo,
    run,
    stages_ran,
)

pytestmark = pytest.mark.slow

NEWEST = FIXTURE_BATCHES[-1]  # 2024
LANDED = "data/landing/customers"
WEATHER = ROOT / "tests" / "data" / "tables" / "seattle_weather.csv"  # dates like 2012/01/01


@pytest.fixture(scope="module")
def repo(tmp_path_factory) -> Path:
    """2019..2023 landed and trained on: this module's copy, which a test only reads."""
    return copy_state("five-years", build_five_years, tmp_path_factory.mktemp("land") / "repo")


@pytest.fixture
def copy(repo, tmp_path) -> Path:
    """The module's repository, to change."""
    return copy_repo(repo, tmp_path / "repo")


def land(repo: Path, *args: str | Path):
    return run(["python", "-m", "pipeline.cli", "land", *map(str, args)], repo, check=False)


def landing_state(repo: Path) -> dict[str, bytes]:
    return {p.name: p.read_bytes() for p in sorted((repo / LANDED).iterdir())}


def assert_refused_changing_nothing(repo: Path, result, *expected: str) -> None:
    assert result.returncode == 1, result.stdout + result.stderr
    assert "Traceback" not in result.stderr
    assert result.stderr.startswith("land: "), result.stderr
    for text in expected:
        assert text in result.stderr, result.stderr
    assert run(["git", "status", "--porcelain"], repo).stdout == ""
    assert sorted(landing_state(repo)) == [f"{year}.csv" for year in FIXTURE_BATCHES[:-1]]


def test_land_makes_the_file_the_current_batch_of_the_next_run(copy):
    result = land(copy, FIXTURE_FILES / f"{NEWEST}.csv")

    assert result.returncode == 0, result.stdout + result.stderr
    assert f"land: batch {NEWEST} (400 rows" in result.stdout
    assert f"-> {LANDED}/{NEWEST}.csv" in result.stdout
    landed = copy / LANDED / f"{NEWEST}.csv"
    assert landed.read_bytes() == (FIXTURE_FILES / f"{NEWEST}.csv").read_bytes()
    changed = run(["git", "status", "--porcelain"], copy).stdout
    assert "data/landing.dvc" in changed  # what the retrain workflow reacts to
    assert run(["dvc", "status", "data/landing.dvc"], copy).stdout.strip().endswith("up to date.")
    # The model trained before 2024 is pinned: the next run compares the new one with it.
    assert "models/champion.dvc" in changed
    assert json.loads((copy / "models/champion/champion.json").read_text())["ref"] == "HEAD"

    assert "train" in stages_ran(run(["dvc", "repro"], copy).stdout)
    current = pd.read_parquet(copy / "data/processed/current.parquet")
    assert set(current["batch"]) == {NEWEST}
    ingest = json.loads((copy / "reports/validation/ingest.json").read_text())
    assert ingest["newest_batch"] == NEWEST


def test_a_batch_that_has_landed_is_refused_unless_replaced(repo, copy):
    newest_landed = FIXTURE_FILES / f"{FIXTURE_BATCHES[-2]}.csv"  # 2023, by its year column
    assert_refused_changing_nothing(
        repo,
        land(repo, newest_landed),
        f"batch {FIXTURE_BATCHES[-2]} has landed already ({LANDED}/{FIXTURE_BATCHES[-2]}.csv)",
        "--replace",
    )

    # A corrected 2023 replaces the landed one, as Parquet.
    corrected = pd.read_csv(newest_landed).assign(support_calls=0)
    corrected.to_parquet(copy.parent / "2023-corrected.parquet", index=False)
    result = land(copy, copy.parent / "2023-corrected.parquet", "--replace")
    assert result.returncode == 0, result.stdout + result.stderr
    assert f"in place of {LANDED}/2023.csv" in result.stdout
    assert sorted(landing_state(copy))[-1] == "2023.parquet"
    assert "2023.csv" not in landing_state(copy)
    assert run(["dvc", "status", "data/landing.dvc"], copy).stdout.strip().endswith("up to date.")


def test_a_batch_that_would_not_be_the_newest_is_refused(repo, tmp_path):
    # No year column: the file's name is the batch id, and 2018 sorts before 2023.
    older = tmp_path / "2018.csv"
    pd.read_csv(FIXTURE_FILES / f"{NEWEST}.csv").drop(columns="year").to_csv(older, index=False)
    assert_refused_changing_nothing(
        repo,
        land(repo, older),
        "batch 2018 would not be the newest (landed: 2019..2023)",
        "the newest batch is the one the model is checked on",
    )
    # Two years in one file: one batch per file.
    both = tmp_path / "both.csv"
    pd.concat([pd.read_csv(FIXTURE_FILES / f"{y}.csv") for y in ("2023", NEWEST)]).to_csv(both)
    assert_refused_changing_nothing(repo, land(repo, both), "gives 2 batches (2023, 2024)")


def test_a_file_that_breaks_the_contract_is_refused_naming_file_column_and_rule(repo, tmp_path):
    rows = pd.read_csv(FIXTURE_FILES / f"{NEWEST}.csv")
    out_of_range = tmp_path / "out-of-range.csv"
    rows.assign(tenure_months=rows["tenure_months"].mask(rows.index < 3, 9999)).to_csv(
        out_of_range, index=False
    )
    assert_refused_changing_nothing(
        repo,
        land(repo, out_of_range),
        f"{out_of_range}: 1 rule(s) of the raw customers contract failed",
        "column 'tenure_months', rule in_range(0, 600): 3 row(s) in batch 2024",
    )

    missing = tmp_path / "missing.parquet"
    rows.drop(columns="support_calls").to_parquet(missing, index=False)
    assert_refused_changing_nothing(
        repo, land(repo, missing), f"{missing}:", "column 'support_calls', rule column_in_dataframe"
    )

    # Valid on its own, but its ids are 2023's: the key is unique across batches.
    reused = tmp_path / "reused-ids.csv"
    ids_2023 = pd.read_csv(FIXTURE_FILES / "2023.csv")["customer_id"]
    rows.assign(customer_id=ids_2023.to_numpy()).to_csv(reused, index=False)
    assert_refused_changing_nothing(
        repo,
        land(repo, reused),
        f"{reused} with the 5 landed file(s)",
        "column 'customer_id', rule field_uniqueness: 800 row(s) in batch 2023, 2024",
    )


def test_a_failing_dvc_add_is_one_line_and_lands_nothing(copy):
    (copy / ".dvc" / "config").write_text("[core\nthis is not a config\n")
    commit(copy, "a broken DVC config")

    result = land(copy, FIXTURE_FILES / f"{NEWEST}.csv")

    assert_refused_changing_nothing(copy, result, "`dvc add data/landing` failed", "nothing landed")


def test_a_file_of_a_date_batched_dataset_lands_as_the_period_of_its_dates(tmp_path):
    """Batches cut from a date by a rule (init --batch-by year): the file's dates say its
    batch, whatever its name, and a file spanning two periods is refused."""
    repo = make_repo(tmp_path / "repo", example=True)
    days = pd.read_csv(WEATHER)
    days[days["date"] < "2015"].to_csv(tmp_path / "seattle.csv", index=False)
    by_year = ("--target", "temp_max", "--batch-column", "date", "--batch-by", "year")
    run(["python", "-m", "pipeline.cli", "init", str(tmp_path / "seattle.csv"), *by_year], repo)
    commit(repo, "seattle, 2012..2014")
    spanning = tmp_path / "delivery-6.csv"
    days[days["date"] >= "2014/12/01"].to_csv(spanning, index=False)
    refused = land(repo, spanning)
    assert refused.returncode == 1
    assert "column 'date' by year (the batch id) gives 2 batches (2014, 2015)" in refused.stderr
    assert run(["git", "status", "--porcelain"], repo).stdout == ""

    later = tmp_path / "delivery-7.csv"
    days[days["date"] >= "2015"].to_csv(later, index=False)
    landed = land(repo, later)

    assert landed.returncode == 0, landed.stdout + landed.stderr
    assert "land: batch 2015 (365 rows" in landed.stdout
    assert (repo / "data/landing/seattle/2015.csv").read_bytes() == later.read_bytes()
