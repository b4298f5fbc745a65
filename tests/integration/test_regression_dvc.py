"""Regression end to end under real dvc: the fixture's value dataset (shop_value) through every
stage, its gate, reports, model card, an experiment with the linear model, and the served API."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pandas as pd
import pytest
from helpers import (
    ALL_STAGES,
    FIXTURE_FILES,
    commit,
    copy_repo,
    make_repo,
    run,
    stages_ran,
)
from server import call, start_server

from pipeline.modeling import model_file
from pipeline.modeling.tasks import predict

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def repo(tmp_path_factory) -> Path:
    repo = make_repo(
        tmp_path_factory.mktemp("regression") / "repo", choices={"dataset": "shop_value"}
    )
    first = run(["dvc", "repro"], repo)
    assert stages_ran(first.stdout) == ALL_STAGES
    commit(repo, "first run: regression")
    return repo


def test_metrics_are_the_regression_metrics_on_both_splits(repo):
    metrics = json.loads((repo / "reports" / "evaluate" / "metrics.json").read_text())
    for split in ("holdout", "current"):
        assert {"rmse", "mae", "r2", "bias", "target_mean", "rows"} <= set(metrics[split])
        assert "roc_auc" not in metrics[split]
    assert metrics["holdout"]["r2"] > 0.6
    # The fixture's values grow every year: the model trained on earlier years underestimates
    # the newest one.
    assert metrics["current"]["bias"] < 0 < metrics["current"]["rmse"]


def test_the_gate_judges_r2_and_the_rmse_rise(repo):
    check = run(["python", "-m", "pipeline.cli", "check"], repo, check=False)
    lines = check.stdout.splitlines()
    model = json.loads((repo / "reports" / "monitoring" / "model.json").read_text())
    rise = model["current"]["rmse"] / model["holdout"]["rmse"] - 1
    assert any(
        line.strip().startswith("pass  RMSE rise from the holdout: ")
        and f"{rise:.3f} <= 0.300" in line
        for line in lines
    ), check.stdout
    assert any("R² on the newest batch" in line for line in lines)
    assert "ROC AUC" not in check.stdout


def test_reports_show_regression_plots_and_metrics(repo):
    page = (repo / "reports" / "index.html").read_text()
    assert 'aria-label="Predicted against actual (holdout vs current batch)"' in page
    assert 'aria-label="Residuals against predicted (holdout vs current batch)"' in page
    assert "ROC" not in page and "Confusion" not in page
    assert "<td>rmse</td>" in page and "<td>r2</td>" in page
    card = (repo / "reports" / "model_card.md").read_text()
    assert "Task: regression." in card and "Decision threshold" not in card
    assert "| rmse |" in card and "(by RMSE, at least" in card
    quality = (repo / "reports" / "monitoring" / "model_quality.html").read_text()
    assert "R2 Score" in quality and "MAE" in quality  # Evidently's regression preset


def test_an_experiment_with_the_linear_model_is_ranked_by_rmse(repo, tmp_path):
    repo = copy_repo(repo, tmp_path / "repo")  # the experiment is applied to the workspace
    run(["dvc", "exp", "run", "-n", "linear", "-S", "model=ridge"], repo)
    shown = run(["python", "-m", "pipeline.cli", "exp-show"], repo).stdout.splitlines()
    assert shown[0].split()[:2] == ["experiment", "holdout.rmse"]
    cells = [re.split(r"\s{2,}", line) for line in shown[2:]]  # "abc1234 (commit)" is one cell
    rows = {cell[0]: float(cell[1]) for cell in cells}
    assert "linear" in rows
    # Lower RMSE first: the order is the metric's, ascending.
    assert list(rows.values()) == sorted(rows.values())


def test_the_api_answers_a_predicted_value_for_one_raw_row(repo, tmp_path):
    model = repo / "models" / "model.skops"
    row = pd.read_csv(sorted(FIXTURE_FILES.glob("*.csv"))[-1]).iloc[[0]]
    pipeline = model_file.load(model)
    inputs = list(pipeline.feature_names_in_)
    expected = float(predict(pipeline, row[inputs])[0])
    process, base = start_server(model, tmp_path / "requests.jsonl", cwd=repo)
    try:
        body = json.dumps({"rows": [row[inputs].iloc[0].to_dict()]}).encode()
        status, answer = call(base, "/predict", body)
        assert status == 200, answer
        (prediction,) = answer["predictions"]
        assert set(prediction) == {"id", "prediction"}
        assert prediction["prediction"] == pytest.approx(expected, rel=1e-9)
        status, schema = call(base, "/openapi.json")
        assert schema["info"]["title"] == "Customer value prediction"
        assert "ValuePrediction" in schema["components"]["schemas"]
    finally:
        process.terminate()
        process.wait(timeout=30)
    logged = json.loads((tmp_path / "requests.jsonl").read_text().splitlines()[0])
    assert logged["prediction"] == prediction["prediction"]
