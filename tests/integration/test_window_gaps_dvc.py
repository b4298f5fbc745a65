"""A team's table with gaps runs end to end under real dvc: a feature blank in every training
year, and a slice and group column with missing values.

The fixture's monthly spend is blanked in 2019-2023 (the training window) and kept in 2024
(the newest batch): train leaves it out and says why, in its log line, train.json, the model
card and the reports page. Every fourth customer's region is missing, in every year: slices,
fairness and the data's composition show those rows as the group "(missing)".
"""

from __future__ import annotations

import json
import re
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import yaml
from helpers import FIXTURE_BATCHES, FIXTURE_FILES, commit, make_repo, run

from pipeline.data.groups import MISSING_GROUP

pytestmark = pytest.mark.slow

NEWEST = FIXTURE_BATCHES[-1]  # 2024: the only year with monthly spend


@pytest.fixture(scope="module")
def repo(tmp_path_factory) -> Path:
    repo = make_repo(tmp_path_factory.mktemp("window-gaps") / "repo")
    for batch in FIXTURE_BATCHES:
        year = pd.read_csv(FIXTURE_FILES / f"{batch}.csv")
        if batch != NEWEST:
            year["monthly_spend"] = np.nan
        year.loc[year.index % 4 == 0, "region"] = np.nan
        year.to_csv(repo / "data" / "landing" / "customers" / f"{batch}.csv", index=False)
    rules = repo / "conf" / "columns" / "shop.yaml"
    contract = yaml.safe_load(rules.read_text())
    contract["columns"]["customers"]["region"]["nullable"] = True
    rules.write_text(yaml.safe_dump(contract, sort_keys=False))
    run(["dvc", "add", "data/landing"], repo)
    commit(repo, "a table with gaps")
    repro = run(["dvc", "repro"], repo)
    (repo / "repro.log").write_text(repro.stdout + repro.stderr)
    return repo


def training_rows(repo: Path) -> int:
    return len(pd.read_parquet(repo / "data" / "processed" / "train.parquet"))


def test_a_feature_blank_in_the_training_window_is_left_out_and_named_everywhere(repo):
    why = f"no values in the {training_rows(repo):,} training rows"
    report = json.loads((repo / "reports" / "validation" / "train.json").read_text())
    assert report["left_out"] == {"monthly_spend": why}
    assert f"left out monthly_spend ({why})" in (repo / "repro.log").read_text()
    assert f"- `monthly_spend`: {why}" in (repo / "reports" / "model_card.md").read_text()
    page = (repo / "reports" / "index.html").read_text()
    assert f"<li><code>monthly_spend</code>: {why}</li>" in page
    # The model ignores the column; the newest batch, which holds it, is scored all the same.
    # Its drift cannot be measured against a window without values: said, not a crash.
    drift = json.loads((repo / "reports" / "monitoring" / "data_columns.json").read_text())
    assert drift["monthly_spend"]["reason"] == "no values in the reference rows"
    importance = pd.read_csv(repo / "reports" / "analysis" / "importance.csv")
    assert "monthly_spend" not in set(importance["feature"])
    metrics = json.loads((repo / "reports" / "evaluate" / "metrics.json").read_text())
    assert metrics["current"]["rows"] == len(pd.read_csv(FIXTURE_FILES / f"{NEWEST}.csv"))


def test_missing_slice_and_group_values_are_the_group_missing(repo):
    slices = pd.read_csv(repo / "reports" / "evaluate" / "slices_current.csv")
    missing = slices[(slices["slice"] == "region") & (slices["value"] == MISSING_GROUP)]
    assert len(missing) == 1 and missing["rows"].iat[0] == 100
    groups = json.loads((repo / "reports" / "analysis" / "groups.json").read_text())
    assert MISSING_GROUP in groups["current"]["region"]["judged"]
    composition = json.loads((repo / "reports" / "monitoring" / "data_groups.json").read_text())
    assert MISSING_GROUP in {row["group"] for row in composition["region"]}
    page = (repo / "reports" / "index.html").read_text()
    assert f"<tr><td>region</td><td>{MISSING_GROUP}</td>" in page  # who is in the data


def test_the_run_summary_of_such_a_run_prints_its_metrics(repo):
    summary = run(["python", "-m", "pipeline.cli", "summary"], repo).stdout
    assert re.search(r"(?m)^holdout: +roc_auc \d\.\d{3}  pr_auc \d\.\d{3}", summary)
