"""Comparing and choosing experiments: the table and the guard, on runs built in memory."""

from __future__ import annotations

import pytest

from pipeline.lifecycle.experiments import Run, choose, param_changes, table, varying_params


def run(label, roc, brier, is_experiment=True, **model) -> Run:
    params = {"seed": 42, "paths.model": "models/model.skops"} | {
        f"model.{key}": value for key, value in model.items()
    }
    metrics = {"holdout.roc_auc": roc, "holdout.pr_auc": 0.5, "current.roc_auc": roc - 0.03}
    metrics["current.brier"] = brier
    return Run(label, f"rev-{label}", is_experiment, params, metrics)


RUNS = [
    run("main", 0.750, 0.150, is_experiment=False, name="hist_gbm", learning_rate=0.1),
    run("slow-lr", 0.760, 0.149, name="hist_gbm", learning_rate=0.05),
    run("forest", 0.740, 0.145, name="random_forest", max_depth=8),
]


def test_the_table_sorts_best_first_and_shows_only_params_that_vary():
    lines = table(RUNS, "holdout.roc_auc").splitlines()
    assert lines[0].split() == [
        "experiment", "holdout.roc_auc", "holdout.pr_auc", "current.roc_auc", "current.brier",
        "model.learning_rate", "model.max_depth", "model.name",
    ]  # fmt: skip
    assert [line.split()[0] for line in lines[2:]] == ["slow-lr", "main", "forest"]
    assert "main (commit)" in lines[3] and "seed" not in lines[0] and "paths" not in lines[0]
    assert lines[4].split()[-3:] == ["-", "8", "random_forest"]


def test_lower_is_better_metrics_sort_the_other_way():
    lines = table(RUNS, "current.brier").splitlines()
    assert [line.split()[0] for line in lines[2:]] == ["forest", "slow-lr", "main"]


def test_choose_returns_the_best_experiment_and_its_margin_over_the_commit():
    choice = choose(RUNS, "holdout.roc_auc", "rev-main")
    assert choice.best.name == "slow-lr"
    assert choice.improvement == pytest.approx(0.010)
    brier = choose(RUNS, "current.brier", "rev-main")
    assert brier.best.name == "forest" and brier.improvement == pytest.approx(0.005)


def test_choose_explains_what_is_missing():
    with pytest.raises(LookupError, match="no finished experiment"):
        choose(RUNS[:1], "holdout.roc_auc", "rev-main")
    with pytest.raises(LookupError, match="has no metrics"):
        choose(RUNS, "holdout.roc_auc", "rev-unknown")
    with pytest.raises(KeyError, match=r"no metric 'holdout\.auc'"):
        choose(RUNS, "holdout.auc", "rev-main")


def test_param_changes_list_old_and_new_values():
    assert param_changes(RUNS[0], RUNS[2]) == [
        "model.learning_rate: 0.1000 -> -",
        "model.max_depth: - -> 8",
        "model.name: hist_gbm -> random_forest",
    ]
    assert varying_params(RUNS[:1]) == []
