"""Experiments under real dvc: a queued grid on two workers, presets, choosing the best,
and the model registry (GTO tags, then `dvc artifacts get --stage prod`).

On the framework's fixture dataset (tests/data/shop), whose model is `churn-model` in the
registry (dataset.artifact.name).
"""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

import pandas as pd
import pytest
from helpers import (
    build_trained,
    copy_repo,
    copy_state,
    run,
    start_queue,
    write_back_from_head,
)
from server import call, start_server

from pipeline.lifecycle.experiments import load_runs
from pipeline.modeling import model_file

pytestmark = pytest.mark.slow

ARTIFACT = "churn-model"  # the fixture's dataset.artifact.name
GRID = ["-S", "model=random_forest", "-S", "model.n_estimators=10", "-S", "model.max_depth=2,4"]


@pytest.fixture(scope="module")
def repo(tmp_path_factory) -> Path:
    """The baseline (hist_gbm) trained and committed: this module's copy."""
    return copy_state("trained", build_trained, tmp_path_factory.mktemp("experiments") / "repo")


def experiments(repo: Path) -> dict:
    shown = json.loads(run(["dvc", "exp", "show", "--json"], repo).stdout)
    return {r.name: r for r in load_runs(shown) if r.is_experiment}


@pytest.fixture(scope="module")
def swept(repo) -> dict:
    """A grid of two, queued, then run by two workers."""
    queued = run(["dvc", "exp", "run", "--queue", *GRID], repo)
    assert queued.stdout.count("Queued experiment") == 2
    start_queue(repo, workers=2)
    waited = run(["python", "-m", "pipeline.cli", "queue-wait", "--timeout", "900"], repo)
    # No terminal here: no live counter, only the verdict.
    assert waited.stdout == "queue-wait: 2 experiments finished, 0 failed\n"
    assert waited.stderr == ""
    status = run(["dvc", "queue", "status"], repo).stdout
    assert status.count("Success") == 2, status
    return experiments(repo)


def test_a_queued_grid_runs_on_two_workers_and_shows_params_and_metrics(swept):
    grid = {
        (r.params["model.n_estimators"], r.params["model.max_depth"]): r
        for r in swept.values()
        if r.params["model.name"] == "random_forest"
    }
    assert set(grid) == {(10, 2), (10, 4)}
    assert all(0.5 < r.metrics["holdout.roc_auc"] < 1 for r in grid.values())


def test_a_preset_is_one_override(repo, tmp_path):
    """Queued, a preset holds the params DVC composed from it (running a queued experiment
    is the grid's test)."""
    repo = copy_repo(repo, tmp_path / "repo")
    run(["dvc", "exp", "run", "--queue", "-n", "preset", "-S", "experiment=balanced_linear"], repo)
    shown = json.loads(run(["dvc", "exp", "show", "--json"], repo).stdout)
    revs = [rev for base in shown for exp in base.get("experiments") or [] for rev in exp["revs"]]
    (preset,) = [rev for rev in revs if rev.get("name") == "preset"]
    model = preset["data"]["params"]["params.yaml"]["data"]["model"]
    assert model["name"] == "logistic_regression"
    assert model["class_weight"] == "balanced" and model["C"] == 0.5


def queued_tasks(repo: Path) -> list[str]:
    """The task lines of `dvc queue status`, without its worker summary: an idle worker
    exits on its own, so the "N active, M idle" line changes while nothing is queued."""
    lines = run(["dvc", "queue", "status"], repo).stdout.splitlines()
    return [line for line in lines if not line.rstrip().endswith(" idle")]


def test_a_typo_in_a_queued_sweep_fails_and_queues_nothing(repo, swept):
    before = queued_tasks(repo)
    typo = run(["dvc", "exp", "run", "--queue", "-S", "model.n_estimatorz=5,10"], repo, check=False)
    assert typo.returncode != 0
    assert "n_estimatorz" in typo.stdout + typo.stderr
    assert queued_tasks(repo) == before


def test_exp_show_table_sorts_the_best_first(repo, swept):
    shown = run(["python", "-m", "pipeline.cli", "exp-show"], repo).stdout.splitlines()
    names = [line.split()[0] for line in shown[2:]]
    by_metric = sorted(swept.values(), key=lambda r: r.metrics["holdout.roc_auc"], reverse=True)
    assert [n for n in names if n in swept] == [r.name for r in by_metric]
    assert "model.max_depth" in shown[0] and "paths.model" not in shown[0]


def test_select_best_refuses_when_nothing_beats_the_committed_model_by_the_guard(repo, swept):
    # No ROC AUC can beat the committed model's by a whole 1.0.
    select = ["python", "-m", "pipeline.cli", "select-best", "--min-improvement", "1"]
    result = run(select, repo, check=False)
    assert result.returncode == 1
    assert "no experiment beats the committed model" in result.stdout
    assert "the guard asks +1.0000" in result.stdout
    assert run(["git", "status", "--porcelain"], repo).stdout == ""


def test_select_best_applies_the_best_and_says_what_changed(repo, swept, tmp_path):
    best = max(swept.values(), key=lambda r: r.metrics["holdout.roc_auc"])
    repo = copy_repo(repo, tmp_path / "repo")  # the best is applied to the workspace
    result = run(["python", "-m", "pipeline.cli", "select-best", "--min-improvement", "-1"], repo)
    assert f"best: {best.name}" in result.stdout
    assert "model.name: hist_gbm -> " in result.stdout
    metrics = json.loads((repo / "reports/evaluate/metrics.json").read_text())
    assert metrics["holdout"]["roc_auc"] == best.metrics["holdout.roc_auc"]
    # The choice is written into conf/ too: a preset, picked by the root config, so that
    # conf/ composes to the applied params.yaml.
    assert "wrote conf/experiment/selected.yaml" in result.stdout
    preset = (repo / "conf/experiment/selected.yaml").read_text()
    assert f"from experiment {best.name}" in preset
    assert "  - experiment: selected" in (repo / "conf/config.yaml").read_text()
    assert run(["python", "-m", "pipeline.cli", "params", "--check"], repo).returncode == 0


def test_register_promote_and_fetch_the_production_model(repo, tmp_path):
    params = repo / "params.yaml"
    params.write_text(params.read_text() + "\n")
    refused = run(["python", "-m", "pipeline.cli", "register"], repo, check=False)
    assert refused.returncode == 1 and "uncommitted changes" in refused.stderr
    write_back_from_head(repo, "params.yaml")

    registered = run(["python", "-m", "pipeline.cli", "register"], repo)
    assert f"registered {ARTIFACT} v0.0.1" in registered.stdout
    promoted = run(["python", "-m", "pipeline.cli", "promote", "--stage", "prod"], repo)
    assert "v0.0.1 is now in stage prod" in promoted.stdout
    assert f"{ARTIFACT}#prod#1" in run(["git", "tag"], repo).stdout

    # Fetched the way a server or another team would: from the registry, by stage.
    fetched = tmp_path / "prod.skops"
    get = ["dvc", "artifacts", "get", str(repo), ARTIFACT, "--stage", "prod"]
    run([*get, "-o", str(fetched)], tmp_path)
    holdout = pd.read_parquet(repo / "data/processed/holdout.parquet")
    prod, workspace = model_file.load(fetched), model_file.load(repo / "models/model.skops")
    columns = list(prod.feature_names_in_)
    assert (prod.predict_proba(holdout[columns]) == workspace.predict_proba(holdout[columns])).all()
    assert "## Metrics" in (repo / "reports/model_card.md").read_text()

    # `make serve` with no model named serves the production version, fetched the same way.
    process, base = start_server(None, tmp_path / "requests.jsonl", cwd=repo)
    try:
        status, about = call(base, "/model")
    finally:
        process.terminate()
        output = process.communicate(timeout=30)[0]
    assert f"{ARTIFACT} v0.0.1 (stage prod)" in output
    assert status == 200 and about["model_file"] == "models/serving/prod.skops"
    assert about["model_version"] == hashlib.sha256(fetched.read_bytes()).hexdigest()[:12]
