"""Drift and quality reports, the gate and the reports page, under real dvc.

The framework's fixture dataset (tests/data/shop): the model trains on 2019-2023, and 2024
lands as the newest batch, in which customers spend more and call support more often than the
model ever saw. The reports must show that shift and the gate must say so.
"""

from __future__ import annotations

import json
from pathlib import Path
from urllib.parse import unquote, urlparse

import pytest
import yaml
from browser import chromium_missing, visit
from helpers import FIXTURE_BATCHES, commit, land_fixture, make_repo, run, stages_ran

pytestmark = pytest.mark.slow

NEWEST = FIXTURE_BATCHES[-1]  # 2024
SHIFTED = ["monthly_spend", "support_calls"]  # what drifts in it
MONITORING = "reports/monitoring"
REPORT_FILES = [
    "data_quality.html",
    "data_drift.html",
    "data_columns.json",
    "data.json",
    "model_quality.html",
    "model.json",
    "gate.json",
]


@pytest.fixture(scope="module")
def repo(tmp_path_factory) -> Path:
    repo = make_repo(tmp_path_factory.mktemp("reports") / "repo", landed=5)
    land_fixture(repo, [NEWEST])
    run(["dvc", "repro"], repo)
    commit(repo, f"{NEWEST} landed")
    return repo


def check(repo: Path):
    return run(["python", "-m", "pipeline.cli", "check"], repo, check=False)


# The model-quality limits depend on the problem: they are the dataset's (dataset.gate).
DATASET_LIMITS = {"min_roc_auc", "max_roc_auc_drop"}


def set_gate_limits(repo: Path, **limits: float) -> None:
    for name, keys in [
        ("report/default.yaml", set(limits) - DATASET_LIMITS),
        ("dataset/shop.yaml", set(limits) & DATASET_LIMITS),
    ]:
        if keys:
            path = repo / "conf" / name
            config = yaml.safe_load(path.read_text())
            config["gate"] |= {key: limits[key] for key in keys}
            path.write_text(yaml.safe_dump(config, sort_keys=False))
    run(["python", "-m", "pipeline.cli", "params"], repo)


def restore(repo: Path) -> None:
    run(["git", "checkout", "HEAD", "--", "."], repo)
    run(["dvc", "checkout", "--force"], repo)
    assert run(["git", "status", "--porcelain"], repo).stdout == ""


def test_report_stages_write_every_file_with_the_fields_the_gate_needs(repo):
    for name in REPORT_FILES:
        assert (repo / MONITORING / name).stat().st_size > 0, name
    assert (repo / "reports/index.html").exists()
    data = json.loads((repo / MONITORING / "data.json").read_text())
    assert data["current"] == {"batches": [NEWEST], "rows": 400}
    assert data["reference"]["batches"] == FIXTURE_BATCHES[:-1]
    assert set(data["drift"]) >= {"drifted_share", "drifted_columns", "target_distance"}
    assert set(data["quality"]) >= {"worst_missing_increase", "new_category_share"}
    model = json.loads((repo / MONITORING / "model.json").read_text())
    assert model["current_batch"] == NEWEST
    assert {"roc_auc", "precision", "recall", "calibration_error"} <= set(model["current"])
    shown = run(["dvc", "metrics", "show", "--json"], repo).stdout
    assert "drifted_share" in shown and "calibration_error" in shown


def test_gate_fails_on_the_newest_batch_and_says_which_check_and_why(repo):
    result = check(repo)
    assert result.returncode == 1, result.stdout + result.stderr
    assert "check: FAIL" in result.stdout
    drift_line = next(
        line for line in result.stdout.splitlines() if "drifted feature share" in line
    )
    assert drift_line.strip().startswith("FAIL")
    assert "> 0.300" in drift_line and all(column in drift_line for column in SHIFTED)
    verdict = json.loads((repo / MONITORING / "gate.json").read_text())
    assert verdict["passed"] is False


def test_gate_passes_when_the_limits_allow_the_shift(repo):
    # Open every limit, whichever checks the newest batch fails.
    set_gate_limits(
        repo,
        max_drifted_share=1.0,
        max_target_drift=1.0,
        max_missing_increase=1.0,
        max_new_category_share=1.0,
        min_roc_auc=0.0,
        max_roc_auc_drop=1.0,
    )
    try:
        result = check(repo)
        assert result.returncode == 0, result.stdout + result.stderr
        assert f"check: pass, all 6 checks passed on {NEWEST}" in result.stdout
    finally:
        restore(repo)


def test_a_gate_limit_change_reruns_only_the_page(repo):
    set_gate_limits(repo, max_target_drift=0.01)
    try:
        ran = stages_ran(run(["dvc", "repro"], repo).stdout)
        assert ran == ["report_index"]
        lines = check(repo).stdout.splitlines()
        target_line = next(line for line in lines if "target drift" in line)
        assert target_line.strip().startswith("FAIL") and "> 0.010" in target_line
    finally:
        restore(repo)


def test_a_model_change_does_not_rerun_the_data_report(repo):
    path = repo / "conf" / "model" / "hist_gbm.yaml"
    path.write_text(path.read_text().replace("max_iter: 40", "max_iter: 41"))
    run(["python", "-m", "pipeline.cli", "params"], repo)
    try:
        ran = stages_ran(run(["dvc", "repro"], repo).stdout)
        assert "data_report" not in ran
        assert {"train", "evaluate", "model_report", "report_index"} <= set(ran)
    finally:
        restore(repo)


def test_check_exits_2_and_names_the_file_when_a_summary_is_missing(repo):
    (repo / MONITORING / "model.json").unlink()
    try:
        result = check(repo)
        assert result.returncode == 2
        assert "reports/monitoring/model.json is missing" in result.stderr
    finally:
        restore(repo)


@pytest.mark.skipif(chromium_missing() is not None, reason=str(chromium_missing()))
def test_reports_page_in_a_real_browser(repo, tmp_path):
    page = repo / "reports" / "index.html"
    seen = visit(page, tmp_path / "index.png", ids=("verdict", "checks", "metrics", "drift"))
    assert seen.console_errors == []
    assert (tmp_path / "index.png").stat().st_size > 10_000
    model = json.loads((repo / MONITORING / "model.json").read_text())
    assert "Gate failed" in seen.texts["verdict"]
    assert "drifted feature share" in seen.texts["checks"]
    for split in ("holdout", "current"):
        assert f"{model[split]['roc_auc']:.3f}" in seen.texts["metrics"]
    assert all(column in seen.texts["drift"] for column in SHIFTED)
    targets = [Path(unquote(urlparse(link).path)) for link in seen.links]
    assert len(targets) >= 10
    missing = [str(target) for target in targets if not target.is_file()]
    assert not missing, f"links to missing files: {missing}"
    # The Evidently reports it links to render offline too.
    for target in targets:
        if target.suffix == ".html":
            assert visit(target).console_errors == [], target.name
