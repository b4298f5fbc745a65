"""The second example's story under real dvc: one override selects it in a fresh clone.

`dvc exp run -S dataset=gapminder` (what `make run DATASET=gapminder` runs) trains on 1964..2012
and checks the model on 2013. Life expectancy keeps rising, so the model underestimates the
newest year: its error grows and its bias turns negative, and the gate reports the drift.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from helpers import ALL_STAGES, ROOT, make_repo, run, stages_ran
from server import call, start_server

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def repo(tmp_path_factory) -> Path:
    repo = make_repo(tmp_path_factory.mktemp("gapminder") / "repo", example=True)
    result = run(["dvc", "exp", "run", "-S", "dataset=gapminder"], repo)
    assert stages_ran(result.stdout) == ALL_STAGES
    return repo


def test_make_run_with_a_dataset_runs_the_one_override():
    planned = run(["make", "-n", "run", "DATASET=gapminder"], ROOT).stdout
    assert "dvc exp run -S dataset=gapminder" in planned


def test_the_model_learns_and_the_newest_year_drifts(repo):
    metrics = json.loads((repo / "reports" / "evaluate" / "metrics.json").read_text())
    holdout, current = metrics["holdout"], metrics["current"]
    assert holdout["rows"] > 1900 and current["rows"] == 202  # labelled countries in 2013
    assert holdout["r2"] > 0.85
    assert current["rmse"] > holdout["rmse"]
    assert current["bias"] < -1  # years of life the past-trained model misses
    assert abs(holdout["bias"]) < 0.2


def test_the_gate_shows_the_drift_and_the_model_checks(repo):
    check = run(["python", "-m", "pipeline.cli", "check"], repo, check=False)
    assert check.returncode == 1
    assert "FAIL  target drift" in check.stdout
    assert "pass  R² on the newest batch" in check.stdout
    assert "pass  RMSE rise from the holdout" in check.stdout


def test_regions_are_judged_in_years_of_life_and_south_asia_is_too_small(repo):
    check = run(["python", "-m", "pipeline.cli", "check"], repo, check=False).stdout
    lines = [line.strip() for line in check.splitlines() if "across region" in line]
    assert [line.split(":")[0] for line in lines] == [
        "pass  MAE gap across region",
        "pass  mean residual gap across region",
    ], check
    # The model errs most for Sub-Saharan Africa; South Asia has 8 countries in 2013.
    assert "worst group Sub-Saharan Africa: mae" in lines[0]
    assert all(line.endswith("too small to judge: South Asia)") for line in lines)
    card = (repo / "reports" / "model_card.md").read_text()
    assert "## Fairness across groups" in card and "MAE gap" in card


def test_the_api_predicts_a_country_year(repo, tmp_path):
    process, base = start_server(repo / "models" / "model.skops", tmp_path / "log.jsonl", cwd=repo)
    try:
        row = {"fertility": 1.9, "population": 60_000_000.0, "region": "Europe & Central Asia"}
        status, answer = call(base, "/predict", json.dumps({"rows": [row]}).encode())
        _, schema = call(base, "/openapi.json")
    finally:
        process.terminate()
        process.wait(timeout=30)
    assert status == 200, answer
    assert 65 < answer["predictions"][0]["prediction"] < 85
    assert schema["info"]["title"] == "Life expectancy prediction"
