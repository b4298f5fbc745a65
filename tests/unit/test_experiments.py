"""Comparing and choosing experiments: the table and the guard on runs built in memory, and
writing the chosen one into conf/."""

from __future__ import annotations

import re
import shutil
from pathlib import Path

import pytest
import yaml
from dvc.utils.hydra import compose_and_dump
from helpers import ROOT, compose

from pipeline.config import params_in_sync, set_default
from pipeline.errors import ConfigError
from pipeline.lifecycle.experiments import (
    Run,
    choose,
    flatten,
    param_changes,
    selected_preset,
    table,
    varying_params,
    write_into_conf,
)


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


# select-best writes the chosen experiment into conf/ (a preset), so that conf/ still composes
# to params.yaml. These compose a copy of conf/ with the real Hydra, the way `dvc exp run` does.


def copy_repo(dest: Path) -> Path:
    """conf/ and the Hydra plugin that registers the typed schemas, copied from the repository."""
    shutil.copytree(ROOT / "conf", dest / "conf")
    ignore = shutil.ignore_patterns("__pycache__")
    shutil.copytree(ROOT / "hydra_plugins", dest / "hydra_plugins", ignore=ignore)
    return dest


def compose_in(repo: Path, *overrides: str) -> dict:
    out = repo / "composed.yaml"
    compose_and_dump(out, str(repo / "conf"), None, "config", str(repo), list(overrides))
    return yaml.safe_load(out.read_text())


def presets() -> list[str]:
    return sorted(path.stem for path in (ROOT / "conf" / "experiment").glob("*.yaml"))


def model_options() -> list[str]:
    return sorted(path.stem for path in (ROOT / "conf" / "model").glob("*.yaml"))


def test_the_selected_preset_composes_to_exactly_the_best_experiments_params(tmp_path):
    repo = copy_repo(tmp_path)
    baseline = compose_in(repo)
    method = "last_batch" if baseline["split"]["method"] == "random" else "random"
    # What `dvc exp run -S model=random_forest -S model.n_estimators=100 -S split.method=...` ran.
    best = compose_in(
        repo, "model=random_forest", "model.n_estimators=100", f"split.method={method}"
    )
    preset = selected_preset(flatten(baseline), flatten(best), "forest-100")
    assert preset.startswith("# @package _global_\n")
    assert "defaults:\n  - override /model: random_forest\n" in preset
    assert "paths" not in yaml.safe_load(preset)

    (repo / "conf" / "experiment" / "selected.yaml").write_text(preset)
    root = repo / "conf" / "config.yaml"
    root.write_text(set_default(root.read_text(), "experiment", "selected"))
    composed = compose_in(repo)
    assert composed == best
    assert composed["model"]["name"] == "random_forest"
    assert composed["model"]["n_estimators"] == 100
    assert composed["split"]["method"] == method


def test_the_selected_preset_holds_only_what_changed_and_still_pins_the_model():
    baseline = {"seed": 42, "paths.model": "a", "model.name": "hist_gbm", "model.max_iter": 300}
    best = baseline | {"paths.model": "b", "model.max_iter": 60, "split.method": "last_batch"}
    assert yaml.safe_load(selected_preset(baseline, best)) == {
        "defaults": [{"override /model": "hist_gbm"}],
        "model": {"max_iter": 60},
        "split": {"method": "last_batch"},
    }
    assert "defaults" not in selected_preset(baseline, baseline | {"seed": 7})
    with pytest.raises(ValueError, match=r"cannot remove params.*model\.max_iter"):
        selected_preset(baseline, {k: v for k, v in baseline.items() if k != "model.max_iter"})


def test_setting_a_default_changes_that_one_line_and_keeps_its_comment():
    text = "defaults:\n  - model: hist_gbm   # which\n  - _self_\n  - experiment: null    # x\n"
    assert set_default(text, "experiment", "selected") == text.replace("null    #", "selected #")
    assert set_default("  - experiment: quick\n", "experiment", "selected") == (
        "  - experiment: selected\n"
    )
    with pytest.raises(ConfigError, match=re.escape("exactly one `- experiment: ...` line")):
        set_default("defaults:\n  - model: hist_gbm\n", "experiment", "selected")


def test_write_into_conf_leaves_params_check_passing(tmp_path, monkeypatch, capsys):
    repo = copy_repo(tmp_path)
    applied = compose_in(repo, "model=random_forest", "model.max_depth=8", "data.train_window=2")
    (repo / "params.yaml").write_text(yaml.safe_dump(applied, sort_keys=True))  # another order
    monkeypatch.chdir(repo)
    preset = write_into_conf("forest-8")
    assert "override /model: random_forest" in preset
    assert (repo / "conf" / "experiment" / "selected.yaml").read_text() == preset
    assert "- experiment: selected" in (repo / "conf" / "config.yaml").read_text()
    assert yaml.safe_load((repo / "params.yaml").read_text()) == applied
    assert params_in_sync(repo / "params.yaml")  # what `params --check` and the hook run


def test_write_into_conf_refuses_what_conf_cannot_express_and_leaves_conf_alone(
    tmp_path, monkeypatch, capsys
):
    repo = copy_repo(tmp_path)
    root_text = (repo / "conf" / "config.yaml").read_text()
    applied = compose_in(repo, "model.max_iter=50")
    applied["paths"]["model"] = "models/other.skops"  # paths are never written into a preset
    (repo / "params.yaml").write_text(yaml.safe_dump(applied, sort_keys=False))
    monkeypatch.chdir(repo)
    with pytest.raises(ConfigError, match=re.escape("other values of paths.model")):
        write_into_conf("odd")
    assert (repo / "conf" / "config.yaml").read_text() == root_text
    assert not (repo / "conf" / "experiment" / "selected.yaml").exists()


# Presets (conf/experiment/) that set model keys must pick their model: otherwise they break as
# soon as another model is the default in conf/config.yaml.


def preset_config(preset: str) -> dict:
    return yaml.safe_load((ROOT / "conf" / "experiment" / f"{preset}.yaml").read_text())


@pytest.mark.parametrize("preset", [p for p in presets() if "model" in preset_config(p)])
def test_a_preset_that_sets_model_keys_overrides_the_model(preset):
    config = preset_config(preset)
    overrides = [e for e in config.get("defaults", []) if isinstance(e, dict)]
    assert any("override /model" in entry for entry in overrides), (
        f"conf/experiment/{preset}.yaml sets model keys without `override /model: ...`"
    )


@pytest.mark.parametrize("preset", presets())
def test_each_preset_composes_whichever_model_is_the_default(preset, tmp_path):
    config = yaml.safe_load((ROOT / "conf" / "experiment" / f"{preset}.yaml").read_text())
    overrides = [e for e in config.get("defaults", []) if isinstance(e, dict)]
    chosen = next((e["override /model"] for e in overrides if "override /model" in e), None)
    assert compose(f"experiment={preset}").model.name == (chosen or compose().model.name)
    repo = copy_repo(tmp_path)
    root = repo / "conf" / "config.yaml"
    original = root.read_text()
    for default in model_options():
        text, count = re.subn(r"(?m)^(  - model: )\S+", rf"\g<1>{default}", original)
        assert count == 1
        root.write_text(text)
        composed = compose_in(repo, f"experiment={preset}")
        assert composed["model"]["name"] == (chosen or default), f"default model {default}"
