"""Three classes end to end under real dvc: a real table (the Palmer penguins, `species`) taken
in by `init`, every stage, the gate, the reports page, the model card, experiments and the
served API, in a fresh clone of the template."""

from __future__ import annotations

import json
import math
import re
import shutil
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import yaml
from helpers import ALL_STAGES, ROOT, SMALL_MODELS, commit, make_repo, run, stages_ran
from omegaconf import OmegaConf
from server import call, start_server

from pipeline.modeling import estimators, model_file

pytestmark = pytest.mark.slow

PENGUINS = ROOT / "tests" / "data" / "tables" / "penguins.csv"
CLASSES = ["Adelie", "Chinstrap", "Gentoo"]
# Slices and groups of a few dozen rows are worth judging on a table of 344 rows.
EDITS = {**SMALL_MODELS, "evaluate/default.yaml": {"min_slice_rows": 30}}


@pytest.fixture(scope="module")
def repo(tmp_path_factory) -> Path:
    root = tmp_path_factory.mktemp("multiclass")
    shutil.copy2(PENGUINS, root / "penguins.csv")
    repo = make_repo(root / "repo", EDITS, example=True)
    init = [*("python", "-m", "pipeline.cli", "init", str(root / "penguins.csv")), "--target"]
    run([*init, "species", "--batch-column", "year"], repo)
    dataset_file = repo / "conf" / "dataset" / "penguins.yaml"
    dataset = yaml.safe_load(dataset_file.read_text())
    dataset["analysis"] |= {"groups": ["sex"], "min_group_rows": 30}
    dataset_file.write_text(yaml.safe_dump(dataset, sort_keys=False))
    run(["python", "-m", "pipeline.cli", "params"], repo)
    repro = run(["dvc", "repro"], repo)
    assert stages_ran(repro.stdout) == ALL_STAGES
    commit(repo, "penguins: first run")
    return repo


def read_json(repo: Path, path: str):
    return json.loads((repo / path).read_text())


def test_init_made_it_a_three_class_task_with_the_labels_in_order(repo):
    params = yaml.safe_load((repo / "params.yaml").read_text())["dataset"]
    assert (params["task"], params["classes"]) == ("multiclass", CLASSES)


def test_metrics_are_the_multiclass_ones_on_the_holdout_and_the_newest_batch(repo):
    metrics = read_json(repo, "reports/evaluate/metrics.json")
    per_class = {f"{kind}_{label}" for label in CLASSES for kind in ("precision", "recall")}
    for split in ("holdout", "current"):
        assert {"roc_auc", "accuracy", "f1_macro", "f1_weighted", "log_loss"} <= set(metrics[split])
        assert per_class <= set(metrics[split])
        assert "pr_auc" not in metrics[split] and "brier" not in metrics[split]
        # The measurements tell the species apart well: bills and flippers differ.
        assert metrics[split]["roc_auc"] > 0.95 and metrics[split]["accuracy"] > 0.9
    assert metrics["current"]["rows"] == 120  # 2009, the newest batch: 52 + 24 + 44 penguins
    scored = pd.read_parquet(repo / "reports" / "evaluate" / "predictions.parquet")
    assert scored.loc[scored["split"] == "current", "batch"].unique().tolist() == ["2009"]
    probabilities = scored[["probability_0", "probability_1", "probability_2"]].to_numpy()
    np.testing.assert_allclose(probabilities.sum(axis=1), 1.0, atol=1e-9)
    shown = run(["dvc", "metrics", "show"], repo).stdout
    assert "current.recall_Chinstrap" in shown and "holdout.f1_macro" in shown


def test_the_page_shows_a_three_by_three_confusion_matrix_of_species(repo):
    page = (repo / "reports" / "index.html").read_text()
    matrix = re.search(
        r"<b>Confusion matrix \(current batch\)</b><table>(.*?)</table>", page
    ).group(1)
    assert matrix.startswith(
        "<tr><th></th>" + "".join(f"<th>predicted {label}</th>" for label in CLASSES) + "</tr>"
    )
    rows = re.findall(r"<tr><th>actual (\w+)</th>((?:<td[^>]*>[\d,]+</td>){3})</tr>", matrix)
    assert [label for label, _ in rows] == CLASSES
    counts = [[int(n) for n in re.findall(r">([\d,]+)<", cells)] for _, cells in rows]
    assert [sum(row) for row in counts] == [52, 24, 44]  # every 2009 penguin, by species
    assert "<td>accuracy</td>" in page and "<td>recall_Gentoo</td>" in page
    assert "ROC (holdout" not in page and "Calibration" not in page
    # dvc plots show draws the confusion matrices; the curves this task has no files for
    # are reported missing, not fatal.
    plots = run(["dvc", "plots", "show", "--json"], repo)
    drawn = json.loads(plots.stdout)["data"]
    assert "reports/evaluate/plots/sklearn/current/confusion.json" in drawn


def test_the_gate_checks_the_one_vs_rest_roc_auc_and_the_multiclass_group_gaps(repo):
    check = run(["python", "-m", "pipeline.cli", "check"], repo, check=False)
    assert check.returncode in (0, 1), check.stderr
    names = [c["name"] for c in read_json(repo, "reports/monitoring/gate.json")["checks"]]
    assert names[4:] == [
        "ROC AUC (one-vs-rest) on the newest batch",
        "ROC AUC (one-vs-rest) drop from the holdout",
        "accuracy gap across sex",
        "macro recall gap across sex",
        "ROC AUC (one-vs-rest) drop from the champion",
    ]
    model = read_json(repo, "reports/monitoring/model.json")
    drop = model["holdout"]["roc_auc"] - model["current"]["roc_auc"]
    assert f"ROC AUC (one-vs-rest) drop from the holdout: {drop:.3f}" in check.stdout
    groups = read_json(repo, "reports/analysis/groups.json")["current"]["sex"]
    assert groups["judged"] == ["female", "male"] and groups["too_small"] == ["(missing)"]
    assert groups["measures"]["accuracy_gap"]["value"] is not None


def test_the_card_names_the_classes_and_the_run_summary_the_key_metrics(repo):
    card = (repo / "reports" / "model_card.md").read_text()
    assert "Task: multiclass." in card
    assert "the order the model numbers them: `Adelie`, `Chinstrap`, `Gentoo`" in card
    assert "| recall_Chinstrap |" in card and "Decision threshold" not in card
    assert "| sex | accuracy gap |" in card
    summary = run(["python", "-m", "pipeline.cli", "summary"], repo).stdout
    assert re.search(r"2009:\s+roc_auc \d\.\d{3}  accuracy \d\.\d{3}  f1_macro", summary)
    shown = run(["python", "-m", "pipeline.cli", "exp-show"], repo).stdout.splitlines()
    assert shown[0].split()[:3] == ["experiment", "holdout.roc_auc", "holdout.accuracy"]


def test_the_model_report_is_evidentlys_multiclass_one(repo):
    quality = (repo / "reports" / "monitoring" / "model_quality.html").read_text()
    assert all(label in quality for label in CLASSES)
    drift = read_json(repo, "reports/monitoring/data_columns.json")
    assert drift["species"]["method"] == "jensenshannon"  # the target, as categories


def test_the_api_answers_a_raw_row_with_a_species_and_each_probability(repo, tmp_path):
    raw = pd.read_csv(PENGUINS)
    row = raw[raw["year"] == 2009].dropna().iloc[0]
    model = repo / "models" / "model.skops"
    process, base = start_server(model, tmp_path / "requests.jsonl", cwd=repo)
    try:
        body = json.dumps({"rows": [json.loads(row.to_json())]}).encode()
        status, answer = call(base, "/predict", body)
    finally:
        process.terminate()
        process.wait(timeout=30)
    assert status == 200, answer
    (prediction,) = answer["predictions"]
    assert set(prediction) == {"id", "predicted", "probabilities"}
    probabilities = prediction["probabilities"]
    assert list(probabilities) == CLASSES
    assert math.isclose(sum(probabilities.values()), 1.0, abs_tol=1e-9)
    assert prediction["predicted"] == max(probabilities, key=probabilities.get) == row["species"]
    logged = json.loads((tmp_path / "requests.jsonl").read_text().splitlines()[0])
    assert logged["probabilities"] == probabilities


def test_a_two_class_model_with_labels_answers_the_label_too(repo, tmp_path):
    """A binary model whose classes have labels (dataset.classes: [negative, positive])."""
    features = pd.read_parquet(repo / "data" / "processed" / "train.parquet")
    two = features[features["species"] != 1].assign(species=lambda f: f["species"] // 2)
    params = yaml.safe_load((repo / "params.yaml").read_text())
    dataset = params["dataset"]["features"]
    model = OmegaConf.create(params["model"])
    pipeline = estimators.build_pipeline(
        model, dataset["categorical"], dataset["numeric"], 0, {}, "classification"
    )
    estimators.fit(pipeline, two, dataset["categorical"] + dataset["numeric"], "species")
    pipeline.class_labels_ = ["Adelie", "Gentoo"]
    model_file.save(pipeline, tmp_path / "binary.skops")
    row = pd.read_csv(PENGUINS).query("species == 'Gentoo'").dropna().iloc[0]
    process, base = start_server(tmp_path / "binary.skops", tmp_path / "log.jsonl", cwd=repo)
    try:
        body = json.dumps({"rows": [json.loads(row.to_json())]}).encode()
        status, answer = call(base, "/predict", body)
    finally:
        process.terminate()
        process.wait(timeout=30)
    assert status == 200, answer
    (prediction,) = answer["predictions"]
    assert set(prediction) == {"id", "probability", "predicted", "label"}
    assert prediction["probability"] > 0.5 and prediction["predicted"] is True
    assert prediction["label"] == "Gentoo"
