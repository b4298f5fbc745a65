"""Real tables the template has never seen, from `init` to a served raw row, as a team would
bring them: a snapshot with a text target and no batch column, and a daily table cut into
yearly batches by its date. Each repository is built and run once; the tests read it."""

from __future__ import annotations

import json
from pathlib import Path

import pandas as pd
import pytest
import yaml
from helpers import ALL_STAGES, ROOT, SMALL_MODELS, copy_repo, make_repo, run, stages_ran
from server import call, start_server

pytestmark = pytest.mark.slow

TABLES = ROOT / "tests" / "data" / "tables"
INIT = ["python", "-m", "pipeline.cli", "init"]


def build(tmp_path_factory, name: str, table: pd.DataFrame, *init_args: str):
    """A fresh clone of the template, `init` on `table` (as a CSV file), then `dvc repro`."""
    root = tmp_path_factory.mktemp(name)
    path = root / f"{name}.csv"
    table.to_csv(path, index=False)
    repo = make_repo(root / "repo", conf_edits=SMALL_MODELS, example=True)
    init = run([*INIT, str(path), *init_args], repo)
    repro = run(["dvc", "repro"], repo)
    return repo, path, init, repro


def serve_row(repo: Path, row: dict, log: Path) -> tuple[int, dict]:
    process, base = start_server(repo / "models" / "model.skops", log, cwd=repo)
    try:
        return call(base, "/predict", json.dumps({"rows": [row]}).encode())
    finally:
        process.terminate()
        process.wait(timeout=30)


def raw_row(path: Path, index: int) -> dict:
    """One row of the file exactly as a client holds it (label and all), as JSON sends it."""
    return json.loads(pd.read_csv(path).iloc[[index]].to_json(orient="records"))[0]


@pytest.fixture(scope="module")
def snapshot(tmp_path_factory):
    """Penguins without their year: one file, no batch column, a text target (sex) with
    missing labels."""
    table = pd.read_csv(TABLES / "penguins.csv").drop(columns=["year"])
    return build(tmp_path_factory, "penguins", table, "--target", "sex")


def test_a_snapshot_is_the_first_batch_and_init_says_what_it_can_tell(snapshot):
    repo, _, init, repro = snapshot
    out = init.stdout
    assert "classification (inferred: the target holds two values (female, male))" in out
    assert "positive class: 'female' (the rarer value (165 of 333 rows)" in out
    assert "batches: 1 (penguins, from the file names): a snapshot" in out
    dataset = yaml.safe_load((repo / "conf" / "dataset" / "penguins.yaml").read_text())
    assert dataset["classes"] == ["male", "female"]
    assert stages_ran(repro.stdout) == ALL_STAGES
    assert "no current batch: one batch so far" in repro.stderr  # the stages log there


def test_a_snapshot_is_judged_on_its_holdout_and_waits_for_drift(snapshot):
    repo, *_ = snapshot
    metrics = json.loads((repo / "reports" / "evaluate" / "metrics.json").read_text())
    assert metrics["current"] == {"rows": 0}
    assert 0.8 < metrics["holdout"]["roc_auc"] <= 1  # sex from body measurements: easy
    check = run(["python", "-m", "pipeline.cli", "check"], repo, check=False)
    assert check.returncode == 0, check.stdout + check.stderr
    assert "ROC AUC on the holdout:" in check.stdout
    assert "drifted feature share: not measured (one batch so far" in check.stdout
    page = (repo / "reports" / "index.html").read_text()
    assert "One batch so far: <b>penguins</b>" in page
    drift = (repo / "reports" / "monitoring" / "data_drift.html").read_text()
    assert "no newer batch to compare with it" in drift
    card = (repo / "reports" / "model_card.md").read_text()
    assert "One batch so far: the model learned from it" in card
    summary = run(["python", "-m", "pipeline.cli", "summary"], repo).stdout
    assert "newest:    none yet, one batch so far" in summary


def test_a_snapshot_serves_a_raw_row_of_its_file(snapshot, tmp_path):
    repo, path, *_ = snapshot
    status, answer = serve_row(repo, raw_row(path, 0), tmp_path / "log.jsonl")
    assert status == 200, answer
    (prediction,) = answer["predictions"]
    assert 0 <= prediction["probability"] <= 1


@pytest.fixture(scope="module")
def by_year(tmp_path_factory):
    """Seattle's daily weather, its `2012/01/01` dates cut into years."""
    table = pd.read_csv(TABLES / "seattle_weather.csv")
    return build(
        tmp_path_factory,
        "seattle",
        table,
        *("--target", "temp_max", "--batch-column", "date", "--batch-by", "year"),
        *("--drop", "weather"),
    )


def test_dates_cut_into_years_are_the_batches_and_the_rule_is_recorded(by_year):
    repo, _, init, repro = by_year
    assert "batches: 4 (2012..2015, the year of date); the newest, 2015" in init.stdout
    dataset = yaml.safe_load((repo / "conf" / "dataset" / "seattle.yaml").read_text())
    assert dataset["batch"] == {"table": "seattle", "column": "batch", "date": "date", "by": "year"}
    assert "date" not in dataset["features"]["numeric"] + dataset["features"]["categorical"]
    assert stages_ran(repro.stdout) == ALL_STAGES
    ingest = json.loads((repo / "reports" / "validation" / "ingest.json").read_text())
    assert [(b["batch"], b["rows"]) for b in ingest["batches"]] == [
        ("2012", 366),
        ("2013", 365),
        ("2014", 365),
        ("2015", 365),
    ]


def test_a_later_file_is_cut_by_the_same_rule_whatever_its_name(by_year, tmp_path):
    repo, path, *_ = by_year
    repo = copy_repo(repo, tmp_path / "repo")  # a file lands in it
    later = pd.read_csv(path).tail(10).assign(date=lambda t: t["date"].str.replace("2015", "2016"))
    later.to_csv(repo / "data" / "landing" / "seattle" / "delivery-7.csv", index=False)
    run(["dvc", "repro", "ingest"], repo)
    ingest = json.loads((repo / "reports" / "validation" / "ingest.json").read_text())
    newest = ingest["batches"][-1]
    assert (newest["batch"], newest["rows"]) == ("2016", 10)


def test_a_date_batched_table_serves_a_raw_row_of_its_file(by_year, tmp_path):
    repo, path, *_ = by_year
    status, answer = serve_row(repo, raw_row(path, 100), tmp_path / "log.jsonl")
    assert status == 200, answer
    (prediction,) = answer["predictions"]
    assert -20 < prediction["prediction"] < 50  # degrees Celsius
