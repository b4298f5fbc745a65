"""The pipeline under real `dvc` in a fresh git repository made from the working tree.

The framework's fixture dataset (tests/data/shop: six years of a small table, landed as files)
with small models, so that each run takes seconds. The trained repository is built once per
session; each test changes its own copy.
"""

from __future__ import annotations

import json
from pathlib import Path

import pandas as pd
import pytest
import yaml
from helpers import ALL_STAGES, ROOT, build_trained, copy_state, run, stages_ran

pytestmark = pytest.mark.slow


def declared_outputs(repo: Path) -> list[Path]:
    params = yaml.safe_load((repo / "params.yaml").read_text())
    stages = yaml.safe_load((repo / "dvc.yaml").read_text())["stages"]
    outs = []
    for stage in stages.values():
        for out in stage.get("outs", []) + stage.get("metrics", []):
            name = next(iter(out)) if isinstance(out, dict) else out
            outs.append(repo / name.replace("${paths.", "{").format(**params["paths"]).strip())
    return outs


@pytest.fixture
def repo(tmp_path) -> Path:
    """The fixture's six years after a first `dvc repro`, committed: this test's own copy."""
    return copy_state("trained", build_trained, tmp_path / "repo")


def test_repro_produces_every_declared_output(repo):
    outputs = declared_outputs(repo)
    # every out and metric of the twelve stages, including train's search report and
    # analyze's importance table and plot; data/raw and data/interim are folders of one
    # Parquet file per table of the dataset
    assert len(outputs) == 31
    missing = [str(path) for path in outputs if not path.exists()]
    assert not missing
    for layer in ("raw", "interim"):
        assert sorted(p.name for p in (repo / "data" / layer).iterdir()) == ["customers.parquet"]
    metrics = json.loads((repo / "reports/evaluate/metrics.json").read_text())
    assert set(metrics) == {"holdout", "current"}
    assert metrics["holdout"]["roc_auc"] > 0.7
    assert set(metrics["current"]) >= {
        "roc_auc",
        "pr_auc",
        "f1",
        "precision",
        "recall",
        "log_loss",
        "brier",
    }
    shown = run(["dvc", "plots", "show", "--json"], repo).stdout
    for plot in [
        "ROC",
        "Precision-recall",
        "Calibration",
        "confusion",
        "importance",
        "/dependence/",
    ]:
        assert plot in shown


def test_second_repro_runs_no_stage(repo):
    again = run(["dvc", "repro"], repo)
    assert stages_ran(again.stdout) == []
    assert "Data and pipelines are up to date" in again.stdout


def test_changing_model_param_reruns_only_the_stages_after_train(repo):
    params = repo / "params.yaml"
    params.write_text(params.read_text().replace("learning_rate: 0.1", "learning_rate: 0.2"))
    ran = stages_ran(run(["dvc", "repro"], repo).stdout)
    # the data report needs no model, so it does not rerun
    assert ran == [
        "train",
        "evaluate",
        "analyze",
        "compare",
        "card",
        "model_report",
        "report_index",
    ]


def test_changing_a_dataset_gate_limit_reruns_only_the_reports_page(repo):
    """A config-only dataset's keys feed only the stages that declare them."""
    params = repo / "params.yaml"
    limit = "gate:\n    min_roc_auc: 0.6\n"
    assert limit in params.read_text()
    params.write_text(params.read_text().replace(limit, "gate:\n    min_roc_auc: 0.65\n"))
    assert stages_ran(run(["dvc", "repro"], repo).stdout) == ["report_index"]


def test_changing_one_contract_rule_reruns_exactly_the_stages_that_apply_it(repo):
    """The column rules are a file the four stages depend on, not params: a rule that the
    data still meets reruns those stages, and their unchanged outputs stop the rest."""
    rules = repo / "conf" / "columns" / "shop.yaml"
    rule = "tenure_months: {type: int, min: 0, max: 600}"
    params = (repo / "params.yaml").read_text()
    assert rule in rules.read_text() and "contract_file: conf/columns/shop.yaml" in params
    assert "max: 600" not in params
    rules.write_text(rules.read_text().replace(rule, rule.replace("600", "700")))
    ran = stages_ran(run(["dvc", "repro"], repo).stdout)
    assert ran == ["validate", "featurize", "train", "evaluate"]
    rules.write_text(rules.read_text().replace("max: 700", "maxx: 700"))
    failed = run(["dvc", "repro"], repo, check=False)
    assert failed.returncode != 0
    assert "conf/columns/shop.yaml: columns.customers.tenure_months: Key 'maxx'" in failed.stderr


def test_changing_data_param_reruns_from_ingest(repo):
    params = repo / "params.yaml"
    every_file = "source:\n  kind: files\n  tables: {}\n"
    assert every_file in params.read_text()
    # The files source reads the landed years from 2020 on only.
    params.write_text(
        params.read_text().replace(
            every_file, "source:\n  kind: files\n  tables:\n    customers: customers/202*\n"
        )
    )
    # ingest alone: what follows it reruns because its output changed, as DVC always does.
    assert stages_ran(run(["dvc", "repro", "ingest"], repo).stdout) == ["ingest"]
    report = json.loads((repo / "reports/validation/ingest.json").read_text())
    assert [b["batch"] for b in report["batches"]] == ["2020", "2021", "2022", "2023", "2024"]
    assert "validate:\n\tchanged deps:\n\t\tmodified:" in run(["dvc", "status"], repo).stdout


def test_dvc_push_and_pull_work_with_the_default_remote(repo, tmp_path):
    run(["dvc", "push"], repo)
    storage = repo.parent / "dvc-storage"  # the default remote: a folder beside the repository
    assert (storage / "files" / "md5").is_dir()
    clone = tmp_path / "clone"
    run(["git", "clone", "-q", str(repo), str(clone)], tmp_path)
    # a clone elsewhere points the same remote at that folder, as a team would with S3
    (clone / ".dvc" / "config.local").write_text(f"['remote \"local\"']\n    url = {storage}\n")
    run(["dvc", "pull"], clone)
    assert (clone / "models/model.skops").read_bytes() == (repo / "models/model.skops").read_bytes()
    status = run(["dvc", "status"], clone).stdout
    assert "up to date" in status


def test_exp_run_with_another_model_shows_both_in_exp_show(repo):
    run(["dvc", "exp", "run", "-n", "forest", "-S", "model=random_forest"], repo)
    shown = json.loads(run(["dvc", "exp", "show", "--json"], repo).stdout)
    runs = {}
    for commit_entry in shown:
        entries = [commit_entry] + [
            e for exp in commit_entry.get("experiments") or [] for e in exp.get("revs", [])
        ]
        for entry in entries:
            data = entry.get("data") or {}
            params = data.get("params", {}).get("params.yaml", {}).get("data", {})
            metrics = data.get("metrics", {}).get("reports/evaluate/metrics.json", {}).get("data")
            if params and metrics:
                runs[entry.get("name") or entry["rev"]] = (params["model"]["name"], metrics)
    assert "forest" in runs
    assert runs["forest"][0] == "random_forest"
    assert {name for name, _ in runs.values()} >= {"random_forest", "hist_gbm"}
    assert all("roc_auc" in metrics["holdout"] for _, metrics in runs.values())


def test_exp_run_with_a_typo_fails_naming_the_key(repo):
    result = run(["dvc", "exp", "run", "-S", "model.max_deph=5"], repo, check=False)
    assert result.returncode != 0
    assert "max_deph" in result.stdout + result.stderr


def test_exp_run_with_a_wrong_type_fails(repo):
    result = run(["dvc", "exp", "run", "-S", "model.max_iter=abc"], repo, check=False)
    assert result.returncode != 0
    assert "max_iter" in result.stdout + result.stderr


def test_bad_raw_data_stops_validate_and_checkout_restores_the_last_good_state(repo):
    raw = repo / "data/raw/customers.parquet"
    interim = repo / "data/interim/customers.parquet"
    good_interim = interim.read_bytes()
    frame = pd.read_parquet(raw)
    frame.loc[:9, "region"] = "XYZ"
    frame.to_parquet(raw, index=False)
    try:
        result = run(["dvc", "repro", "--single-item", "validate"], repo, check=False)
        assert result.returncode != 0
        output = result.stdout + result.stderr
        assert "data/raw/customers.parquet" in output
        assert "column 'region'" in output and "10 row(s)" in output
        assert "in batch 2019 (data/landing/customers/2019.csv)" in output
        report = json.loads((repo / "reports/validation/validate.json").read_text())
        assert report["valid"] is False
        assert not interim.exists()  # nothing downstream of the bad data was written
    finally:
        run(["dvc", "checkout", "--force"], repo)
    assert interim.read_bytes() == good_interim
    assert "up to date" in run(["dvc", "status"], repo).stdout


def test_privacy_hashes_the_id_columns_before_anything_is_written(repo, monkeypatch):
    """privacy=hash_ids hashes dataset.id_columns; the fixture's is an integer customer_id."""
    monkeypatch.delenv("PIPELINE_HASH_SALT", raising=False)
    raw = repo / "data/raw/customers.parquet"
    original = {str(value) for value in pd.read_parquet(raw)["customer_id"]}
    refused = run(["dvc", "exp", "run", "-S", "privacy=hash_ids"], repo, check=False)
    assert refused.returncode != 0
    assert "$PIPELINE_HASH_SALT is not set" in refused.stdout + refused.stderr
    salted = run(
        ["dvc", "exp", "run", "-S", "privacy=hash_ids"], repo, env={"PIPELINE_HASH_SALT": "x"}
    )
    # The hashed ids are text now: validate holds them to that, and the model never
    # reads them, so training is unchanged.
    assert stages_ran(salted.stdout)[:3] == ["ingest", "validate", "featurize"]
    hashed = pd.read_parquet(raw)["customer_id"]
    assert hashed.str.fullmatch(r"[0-9a-f]{16}").all()
    assert not set(hashed) & original
    assert len(set(hashed)) == len(original)  # equal values stay equal, distinct distinct
    report = json.loads((repo / "reports/validation/ingest.json").read_text())
    assert report["privacy"] == {"dropped": [], "hashed": ["customer_id"]}
    assert json.loads((repo / "reports/validation/validate.json").read_text())["valid"]
    assert (repo / "models/model.skops").exists()


# What each stage must not import: a library a stage does not use costs every run its import
# time (scikit-learn about 0.9 s, Evidently 2.5 s here) for nothing.
NOT_IMPORTED = {
    "ingest": {"pandera", "sklearn", "skops", "dvclive", "evidently"},
    "validate": {"sklearn", "skops", "dvclive", "evidently"},
    "featurize": {"sklearn", "skops", "dvclive", "evidently"},
    "split": {"pandera", "sklearn", "skops", "dvclive", "evidently"},
    "train": {"dvclive", "evidently"},
    "evaluate": {"evidently"},
    "analyze": {"pandera", "dvclive", "evidently"},
    "compare": {"pandera", "dvclive", "evidently"},
    "card": {"pandera", "sklearn", "skops", "dvclive", "evidently"},
    "report_index": {"pandas", "pandera", "sklearn", "skops", "dvclive", "evidently"},
}


def imported_packages(stage: str, repo: Path) -> set[str]:
    """Top-level packages a stage's process imports while it runs (python -X importtime)."""
    done = run(["python", "-X", "importtime", "-m", f"pipeline.stages.{stage}"], repo)
    lines = [line for line in done.stderr.splitlines() if line.startswith("import time:")]
    return {line.rsplit("|", 1)[1].strip().split(".")[0] for line in lines}


@pytest.mark.parametrize("stage", list(NOT_IMPORTED))
def test_each_stage_imports_only_the_libraries_it_uses(repo, stage):
    imported = imported_packages(stage, repo)
    assert "pandas" in imported or stage == "report_index"  # the check sees real imports
    assert not imported & NOT_IMPORTED[stage]
    assert "up to date" in run(["dvc", "status"], repo).stdout  # same outputs as before


def test_the_benchmarks_in_process_limit_writes_exactly_what_dvc_repro_wrote(repo):
    """The yardstick of DVC's overhead (benchmarks/inprocess.py) does the same work."""
    landing = repo / "data" / "landing"  # the landed input stays
    for out in ["data", "models", "reports"]:
        for path in (repo / out).rglob("*"):
            if path.is_relative_to(landing):
                continue
            if path.is_file() and not path.name.endswith((".dvc", "README.md")):
                path.unlink()
    done = run(["python", str(ROOT / "benchmarks" / "inprocess.py")], repo)
    timings = json.loads(done.stdout.splitlines()[-1])
    assert list(timings["stages"]) == ALL_STAGES
    assert "Data and pipelines are up to date" in run(["dvc", "status"], repo).stdout
