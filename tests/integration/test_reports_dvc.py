"""Drift and quality reports, the gate and the reports page, under real dvc.

The framework's fixture dataset (tests/data/shop): the model trains on 2019-2023, and 2024
lands as the newest batch, in which customers spend more and call support more often than the
model ever saw. The reports must show that shift and the gate must say so.
"""

from __future__ import annotations

import json
import re
from pathlib import Path
from urllib.parse import unquote, urlparse

import pandas as pd
import pytest
import yaml
from browser import chromium_missing, visit
from helpers import FIXTURE_BATCHES, build_trained, copy_state, run, stages_ran

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


@pytest.fixture
def repo(tmp_path) -> Path:
    """Every year landed and `dvc repro` run (the trained state, built once per session): the
    model learned from 2019-2023 and 2024 is the newest batch. This test's own copy."""
    return copy_state("trained", build_trained, tmp_path / "repo")


def check(repo: Path):
    return run(["python", "-m", "pipeline.cli", "check"], repo, check=False)


# The model-quality and fairness limits depend on the problem: they are the dataset's
# (dataset.gate).
FAIRNESS_LIMITS = {
    "max_demographic_parity_difference",
    "max_equalized_odds_difference",
    "max_recall_gap",
    "max_precision_gap",
}
DATASET_LIMITS = {"min_roc_auc", "max_roc_auc_drop", *FAIRNESS_LIMITS}
ANALYSIS = "reports/analysis"
LANDED_NEWEST = f"data/landing/customers/{NEWEST}.csv"


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


def edit_conf(repo: Path, name: str, old: str, new: str) -> None:
    """Change one value in a conf/ file and compose params.yaml again."""
    path = repo / "conf" / name
    assert old in path.read_text()
    path.write_text(path.read_text().replace(old, new))
    run(["python", "-m", "pipeline.cli", "params"], repo)


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
    # The drift share is a DVC metric; the model report's numbers repeat evaluate's and are not.
    shown = run(["dvc", "metrics", "show", "--json"], repo).stdout
    assert "drifted_share" in shown and "calibration_error" not in shown


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
        **dict.fromkeys(FAIRNESS_LIMITS, 1.0),
    )
    result = check(repo)
    assert result.returncode == 0, result.stdout + result.stderr
    # Four data checks, two of model quality, four of fairness across region, and the
    # champion's (none pinned: it passes, saying so).
    assert f"check: pass, all 11 checks passed on {NEWEST}" in result.stdout


def test_a_gate_limit_change_reruns_only_the_page(repo):
    set_gate_limits(repo, max_target_drift=0.01)
    ran = stages_ran(run(["dvc", "repro"], repo).stdout)
    assert ran == ["report_index"]
    lines = check(repo).stdout.splitlines()
    target_line = next(line for line in lines if "target drift" in line)
    assert target_line.strip().startswith("FAIL") and "> 0.010" in target_line


def test_check_exits_2_and_names_the_file_when_a_summary_is_missing(repo):
    (repo / MONITORING / "model.json").unlink()
    result = check(repo)
    assert result.returncode == 2
    assert "reports/monitoring/model.json is missing" in result.stderr


def fairness_lines(result) -> list[str]:
    return [line.strip() for line in result.stdout.splitlines() if "across region" in line]


def plant(repo: Path, group: str, every_year: bool = True) -> None:
    """Flip one region's labels, then rerun. In every landed year, the history the model
    learns from says the opposite about that region's customers; in the newest year only,
    the model is unchanged and wrong about them."""
    landed = sorted((repo / LANDED_NEWEST).parent.glob("*.csv"))
    for path in landed if every_year else [repo / LANDED_NEWEST]:
        rows = pd.read_csv(path)
        chosen = rows["region"] == group
        rows.loc[chosen, "churned"] = 1 - rows.loc[chosen, "churned"]
        rows.to_csv(path, index=False)
    run(["dvc", "add", "data/landing"], repo)
    run(["dvc", "repro"], repo)


def test_analysis_writes_group_measures_and_dependence_plots(repo):
    groups = json.loads((repo / ANALYSIS / "groups.json").read_text())
    newest = groups["current"]["region"]
    # The newest year's west has 83 customers, under the fixture's min_group_rows of 90.
    assert newest["too_small"] == ["west"]
    assert newest["judged"] == ["east", "north", "south"]
    assert {row["group"]: row["rows"] for row in newest["groups"]}["west"] == 83
    assert set(newest["measures"]) == {name.removeprefix("max_") for name in FAIRNESS_LIMITS}
    shown = json.loads(run(["dvc", "metrics", "show", "--json"], repo).stdout)
    fairness = shown[""]["data"][f"{ANALYSIS}/fairness.json"]["data"]  # "": the workspace
    # One group column: its gaps are the worst gaps.
    assert fairness["current"]["recall_gap"] == newest["measures"]["recall_gap"]["value"]
    # Partial dependence for the three most important features, as DVC plots.
    importance = pd.read_csv(repo / "reports/analysis/importance.csv")
    top = list(importance["feature"].head(3))
    drawn = sorted(p.stem for p in (repo / ANALYSIS / "dependence").rglob("*.json"))
    assert drawn == sorted(top)
    plots = json.loads(run(["dvc", "plots", "show", "--json"], repo).stdout)
    ids = [key for key in plots.get("data", plots) if "/dependence/" in key]
    assert sorted(Path(key).stem for key in ids) == sorted(top)
    assert not [e for e in plots.get("errors", []) if "/dependence/" in e.get("source", "")]
    composition = json.loads((repo / MONITORING / "data_groups.json").read_text())["region"]
    assert {row["group"] for row in composition} == {"north", "south", "east", "west"}
    assert sum(row["current_rows"] for row in composition) == 400
    assert sum(row["current_share"] for row in composition) == pytest.approx(1.0)


def test_without_a_planted_gap_every_fairness_check_passes(repo):
    lines = fairness_lines(check(repo))
    assert len(lines) == 4
    assert all(line.startswith("pass") for line in lines), lines
    assert all("too small to judge: west" in line for line in lines)


def test_a_planted_gap_fails_the_gate_naming_the_group(repo):
    plant(repo, "north")
    result = check(repo)
    assert result.returncode == 1
    lines = {line.split(":")[0].split(maxsplit=1)[1]: line for line in fairness_lines(result)}
    # The model learned that north's customers churn: it predicts so for 78% of them,
    # and raises a false alarm for most of those who stay.
    for measure in ("demographic parity difference", "equalized odds difference"):
        line = lines[f"{measure} across region"]
        assert line.startswith("FAIL") and "worst group north" in line, result.stdout
    verdict = json.loads((repo / MONITORING / "gate.json").read_text())
    assert verdict["passed"] is False
    card = (repo / "reports/model_card.md").read_text()
    assert "## Fairness across groups" in card and "north" in card


def test_a_gap_in_a_group_too_small_to_judge_is_not_judged(repo):
    before = json.loads((repo / ANALYSIS / "groups.json").read_text())["current"]["region"]
    plant(repo, "west", every_year=False)
    groups = json.loads((repo / ANALYSIS / "groups.json").read_text())["current"]["region"]
    west = next(row for row in groups["groups"] if row["group"] == "west")
    assert west == {"group": "west", "rows": 83, "judged": False}
    # The model did not change, and west is in no disparity: not one value moved.
    assert groups["measures"] == before["measures"]
    lines = fairness_lines(check(repo))
    assert len(lines) == 4 and all(line.startswith("pass") for line in lines), lines
    # Judged, the same rows fail: min_group_rows is all that kept west out. The setting
    # reruns only the analysis and what shows it (compare measures both models' gaps).
    edit_conf(repo, "dataset/shop.yaml", "min_group_rows: 90", "min_group_rows: 80")
    ran = stages_ran(run(["dvc", "repro"], repo).stdout)
    assert sorted(ran) == ["analyze", "card", "compare", "report_index"]
    groups = json.loads((repo / ANALYSIS / "groups.json").read_text())
    assert groups["current"]["region"]["too_small"] == []
    failed = [line for line in fairness_lines(check(repo)) if line.startswith("FAIL")]
    assert failed and all("worst group west" in line for line in failed), failed


@pytest.mark.skipif(chromium_missing() is not None, reason=str(chromium_missing()))
def test_reports_page_in_a_real_browser(repo, tmp_path):
    page = repo / "reports" / "index.html"
    seen = visit(
        page,
        tmp_path / "index.png",
        ids=("verdict", "checks", "metrics", "drift", "fairness", "too-small", "composition"),
    )
    assert seen.console_errors == []
    assert (tmp_path / "index.png").stat().st_size > 10_000
    model = json.loads((repo / MONITORING / "model.json").read_text())
    assert "Gate failed" in seen.texts["verdict"]
    assert "drifted feature share" in seen.texts["checks"]
    for split in ("holdout", "current"):
        assert f"{model[split]['roc_auc']:.3f}" in seen.texts["metrics"]
    assert all(column in seen.texts["drift"] for column in SHIFTED)
    groups = json.loads((repo / ANALYSIS / "groups.json").read_text())["current"]["region"]
    recall = groups["measures"]["recall_gap"]
    assert f"{recall['value']:.3f}" in seen.texts["fairness"]
    assert recall["worst_group"] in seen.texts["fairness"]
    assert "region: west" in seen.texts["too-small"]
    assert all(region in seen.texts["composition"] for region in ("north", "west"))
    page_text = page.read_text()
    importance = pd.read_csv(repo / "reports/analysis/importance.csv")
    for feature in importance["feature"].head(3):
        assert re.search(f'aria-label="Partial dependence[^"]*: {feature}"', page_text), feature
    targets = [Path(unquote(urlparse(link).path)) for link in seen.links]
    assert len(targets) >= 10
    missing = [str(target) for target in targets if not target.is_file()]
    assert not missing, f"links to missing files: {missing}"
    # The Evidently reports it links to render offline too.
    for target in targets:
        if target.suffix == ".html":
            assert visit(target).console_errors == [], target.name
