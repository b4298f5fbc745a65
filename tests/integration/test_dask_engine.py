"""engine=dask against engine=pandas on the fixture dataset, under real `dvc repro`.

The dask engine runs on a two-worker LocalCluster, with parts of 150 rows so that every
400-row batch spans three parts: anything computed across parts (counts, uniqueness, the
holdout) is exercised. Tolerances: the table stages' outputs and reports are equal (the
features compared after a sort by key); a scikit-learn model trained on them gives equal
metrics; XGBoost trained on the cluster against XGBoost trained in memory agrees within
0.02 of ROC AUC (its distributed histogram sketch is not the same computation).
"""

from __future__ import annotations

import json
import subprocess
import sys
import time
from pathlib import Path

import pandas as pd
import pytest
from helpers import ALL_STAGES, commit, copy_repo, make_repo, run, stages_ran
from server import free_port

from pipeline.engine.cluster import SCHEDULER_ENV

pytestmark = [pytest.mark.slow, pytest.mark.dask]

DASK = {
    "engine/dask.yaml": {"workers": 2, "partition_rows": 150},
    "model/xgboost.yaml": {"n_estimators": 40},
}
TABLES = ["data/processed/features.parquet", "data/processed/train.parquet",
          "data/processed/holdout.parquet", "data/processed/current.parquet"]  # fmt: skip
METRICS = "reports/evaluate/metrics.json"
REPORTS = ["ingest.json", "validate.json", "featurize.json", "train.json"]
# data_report reads its tables a batch of rows at a time, a file or a folder of parts alike.
DATA_REPORT = ["data.json", "data_columns.json", "data_groups.json", "data_quality.html",
               "data_drift.html"]  # fmt: skip


def outputs(repo: Path) -> dict:
    return {
        "tables": {t: pd.read_parquet(repo / t) for t in TABLES},
        "reports": {r: json.loads((repo / "reports/validation" / r).read_text()) for r in REPORTS},
        "metrics": json.loads((repo / METRICS).read_text()),
        "data_report": {r: (repo / "reports/monitoring" / r).read_bytes() for r in DATA_REPORT},
    }


def set_engine(repo: Path, *overrides: str) -> None:
    run(["python", "-m", "pipeline.cli", "params", *overrides], repo)


@pytest.fixture(scope="module")
def both(tmp_path_factory) -> tuple[Path, dict, dict]:
    """One repository run on each engine, the pandas run first."""
    repo = make_repo(tmp_path_factory.mktemp("engines") / "repo", conf_edits=DASK)
    assert stages_ran(run(["dvc", "repro"], repo).stdout) == ALL_STAGES
    pandas_run = outputs(repo)
    commit(repo, "pandas engine")
    set_engine(repo, "engine=dask")
    ran = run(["dvc", "repro"], repo)
    assert "started a local Dask cluster" not in ran.stderr  # said to a person only
    dask_run = outputs(repo)
    commit(repo, "dask engine")
    return repo, pandas_run, dask_run


@pytest.fixture
def repo(both, tmp_path) -> Path:
    """A copy of the repository after both runs, for a test that runs more."""
    return copy_repo(both[0], tmp_path / "repo")


def test_the_table_stages_write_parts_and_the_same_tables(both):
    repo, pandas_run, dask_run = both
    parts = sorted(p.name for p in (repo / "data/raw/customers.parquet").iterdir())
    assert len(parts) >= 6 and parts[0] == "part-00000-0000.parquet"  # 150 rows, 3 per year
    for table in TABLES:
        columns = list(pandas_run["tables"][table].columns)  # the rows' own values are the key
        expected = pandas_run["tables"][table].sort_values(columns, ignore_index=True)
        found = dask_run["tables"][table].sort_values(columns, ignore_index=True)
        pd.testing.assert_frame_equal(found, expected)
        # Even the row order is the pandas engine's: parts are read in name order.
        pd.testing.assert_frame_equal(dask_run["tables"][table], pandas_run["tables"][table])


def test_the_reports_and_the_metrics_are_the_same(both):
    _, pandas_run, dask_run = both
    assert dask_run["reports"] == pandas_run["reports"]
    assert dask_run["metrics"] == pandas_run["metrics"]
    for name, content in pandas_run["data_report"].items():
        assert dask_run["data_report"][name] == content, f"{name} differs between the engines"


def test_a_rerun_on_dask_gives_the_same_hashes(repo):
    """The stages Dask runs, run again on a new cluster: the same files byte for byte, so
    nothing after them is out of date."""
    lock = (repo / "dvc.lock").read_text()
    forced = run(["dvc", "repro", "--force", "split"], repo)  # split and the stages before it
    assert stages_ran(forced.stdout) == ["ingest", "validate", "featurize", "split"]
    assert stages_ran(run(["dvc", "repro"], repo).stdout) == []
    assert (repo / "dvc.lock").read_text() == lock


def test_xgboost_on_the_cluster_agrees_with_xgboost_in_memory(repo):
    set_engine(repo, "engine=pandas", "model=xgboost")
    run(["dvc", "repro"], repo)
    in_memory = json.loads((repo / METRICS).read_text())
    set_engine(repo, "engine=dask", "model=xgboost")
    ran = run(["dvc", "repro"], repo)
    assert "on the Dask cluster" in ran.stderr
    on_cluster = json.loads((repo / METRICS).read_text())
    for split in ("holdout", "current"):
        assert on_cluster[split]["rows"] == in_memory[split]["rows"]
        assert on_cluster[split]["roc_auc"] == pytest.approx(in_memory[split]["roc_auc"], abs=0.02)
        assert on_cluster[split]["roc_auc"] > 0.6  # it learned something
    # The saved model is the usual model file: it loads through the allow-list and predicts.
    from pipeline.modeling import model_file

    model = model_file.load(repo / "models/model.skops")
    holdout = pd.read_parquet(repo / "data/processed/holdout.parquet")
    scores = model.predict_proba(holdout.drop(columns=["batch", "churned"]))[:, 1]
    assert ((scores >= 0) & (scores <= 1)).all()


def test_a_scheduler_and_a_worker_started_as_processes_run_the_stages(both, repo):
    _, pandas_run, _ = both
    port = free_port()
    address = f"tcp://127.0.0.1:{port}"
    cli = [sys.executable, "-m"]
    scheduler = subprocess.Popen(
        [*cli, "distributed.cli.dask_scheduler", "--host", "127.0.0.1", "--port", str(port),
         "--dashboard-address", ":0", "--no-show"],
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    )  # fmt: skip
    worker = subprocess.Popen(
        [*cli, "distributed.cli.dask_worker", address, "--host", "127.0.0.1", "--nworkers",
         "1", "--nthreads", "2", "--no-dashboard"],
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, cwd="/",
    )  # fmt: skip
    try:
        ran = run(
            ["dvc", "repro", "--force", "split"], repo, env={SCHEDULER_ENV: address}, timeout=300
        )
        assert "split:" in ran.stderr
        features = pd.read_parquet(repo / TABLES[0])
        pd.testing.assert_frame_equal(features, pandas_run["tables"][TABLES[0]])
    finally:
        for process in (worker, scheduler):
            process.terminate()
        deadline = time.monotonic() + 30
        for process in (worker, scheduler):
            try:
                process.wait(max(1, deadline - time.monotonic()))
            except subprocess.TimeoutExpired:
                process.kill()
