"""`init` on a table the template has never seen, in a fresh clone of the template (the flights
example selected), then the pipeline under real dvc and the served API: your own data in one
command, with no edit under src/."""

from __future__ import annotations

import json
from pathlib import Path

import pandas as pd
import pytest
import yaml
from helpers import ALL_STAGES, FIXTURE_FILES, make_repo, run, stages_ran
from server import call, start_server

pytestmark = pytest.mark.slow

INIT = ["python", "-m", "pipeline.cli", "init"]
EXAMPLES = [
    "src/pipeline/examples",
    "tests/examples",
    "conf/dataset/flights.yaml",
    "conf/dataset/gapminder.yaml",
    "conf/columns/gapminder.yaml",
    "conf/source/example.yaml",
]


def changed_files(repo: Path) -> set[str]:
    status = run(["git", "status", "--porcelain", "--untracked-files=all"], repo).stdout
    return {line[3:] for line in status.splitlines()}


@pytest.fixture(scope="module")
def by_column(tmp_path_factory) -> tuple[Path, object]:
    """init on a folder of CSV files whose `year` column is the batch, then `dvc repro`."""
    repo = make_repo(tmp_path_factory.mktemp("init-column") / "repo", example=True)
    init = run([*INIT, str(FIXTURE_FILES), "--target", "churned", "--batch-column", "year"], repo)
    return repo, init


def test_init_prints_what_it_inferred_and_what_to_run_next(by_column):
    _, init = by_column
    out = init.stdout
    assert (
        "dataset 'customers', classification (inferred: the target holds two values (0, 1))" in out
    )
    assert "positive class: 1 (the larger value is positive; the other is 0)" in out
    assert "batches: 6 (2019..2024, by year); the newest, 2024" in out
    table = {line.split()[0]: line.split()[1:3] for line in out.splitlines() if line[:2] == "  "}
    assert table["customer_id"] == ["int", "id"]
    assert table["region"] == ["str", "categorical"]
    assert table["tenure_months"] == ["int", "numeric"]
    assert table["year"] == ["int", "batch"]
    assert "next:  make run" in out


def test_init_writes_the_dataset_selects_it_and_versions_the_data(by_column):
    repo, _ = by_column
    assert changed_files(repo) == {
        "conf/config.yaml",
        "conf/dataset/customers.yaml",
        "conf/columns/customers.yaml",
        "data/landing.dvc",
        "params.yaml",
    }
    landed = sorted(p.name for p in (repo / "data" / "landing" / "customers").iterdir())
    assert landed == [f"{year}.parquet" for year in range(2019, 2025)]
    assert run(["python", "-m", "pipeline.cli", "params", "--check"], repo).returncode == 0
    params = yaml.safe_load((repo / "params.yaml").read_text())
    assert params["source"]["kind"] == "files"
    dataset = params["dataset"]
    assert (dataset["name"], dataset["target"], dataset["task"]) == (
        "customers",
        "churned",
        "classification",
    )
    assert dataset["id_columns"] == ["customer_id"]
    assert dataset["contract_file"] == "conf/columns/customers.yaml"
    rules = yaml.safe_load((repo / dataset["contract_file"]).read_text())
    assert rules["columns"]["customers"]["region"]["values"] == ["east", "north", "south", "west"]


def test_the_pipeline_runs_on_it_and_serves_one_raw_row(by_column, tmp_path):
    repo, _ = by_column
    repro = run(["dvc", "repro"], repo)
    assert stages_ran(repro.stdout) == ALL_STAGES
    metrics = json.loads((repo / "reports" / "evaluate" / "metrics.json").read_text())
    assert 0.6 < metrics["holdout"]["roc_auc"] < 1
    check = run(["python", "-m", "pipeline.cli", "check"], repo, check=False)
    assert check.returncode in (0, 1) and "ROC AUC on the newest batch" in check.stdout
    # The row as it is in the file: its id, batch (year) and label too; the model reads its inputs.
    row = pd.read_csv(sorted(FIXTURE_FILES.glob("*.csv"))[-1]).iloc[[0]]
    inputs = json.loads(row.to_json(orient="records"))[0]
    process, base = start_server(repo / "models" / "model.skops", tmp_path / "log.jsonl", cwd=repo)
    try:
        status, answer = call(base, "/predict", json.dumps({"rows": [inputs]}).encode())
    finally:
        process.terminate()
        process.wait(timeout=30)
    assert status == 200, answer
    (prediction,) = answer["predictions"]
    assert 0 <= prediction["probability"] <= 1 and isinstance(prediction["predicted"], bool)


@pytest.fixture(scope="module")
def by_file_name(tmp_path_factory) -> tuple[Path, object]:
    """init on Parquet files named by their batch, with no batch column and a planted leak,
    in a project whose examples were dropped (no conf/dataset/ left)."""
    root = tmp_path_factory.mktemp("init-files")
    folder = root / "accounts"
    folder.mkdir()
    for path in sorted(FIXTURE_FILES.glob("*.csv")):
        table = pd.read_csv(path).drop(columns=["year"])
        table["refund"] = (table["annual_value"] * 0.1).round(2)  # computed from the target
        table.to_parquet(folder / f"{path.stem}.parquet", index=False)
    repo = make_repo(root / "repo", example=True)
    # docs/datasets.md's command. What it tests is conf/ without the examples' files: the code
    # still runs from the installed package, and test_dataset_boundary keeps it off examples/.
    run(["git", "rm", "-rq", "--ignore-unmatch", *EXAMPLES], repo)  # gone already if dropped
    run(["git", "commit", "-qm", "drop the examples", "--allow-empty"], repo)
    init = run([*INIT, str(folder), "--target", "annual_value", "--drop", "churned"], repo)
    return repo, init


def test_batches_come_from_file_names_and_the_task_is_inferred(by_file_name):
    repo, init = by_file_name
    assert "regression (inferred: the target is a number with" in init.stdout
    assert "batches: 6 (2019..2024, from the file names)" in init.stdout
    dataset = yaml.safe_load((repo / "conf" / "dataset" / "accounts.yaml").read_text())
    assert dataset["batch"] == {"table": "accounts", "column": "batch"}
    rules = yaml.safe_load((repo / "conf" / "columns" / "accounts.yaml").read_text())
    assert rules["columns"]["accounts"]["batch"] == {"type": "str"}
    assert "churned" not in dataset["features"]["numeric"]
    assert dataset["gate"] == {"min_r2": 0.1, "max_rmse_rise": 0.25}


def test_a_leak_is_named_with_the_drop_to_try_and_nothing_is_dropped(by_file_name):
    repo, init = by_file_name
    lines = init.stdout.splitlines()
    start = lines.index("likely leaks (each alone gives the target away on the training batches):")
    assert lines[start + 1].startswith("  refund: alone predicts the target with R² 0.99")
    assert "--force --drop refund" in lines[start + 2]
    dataset = yaml.safe_load((repo / "conf" / "dataset" / "accounts.yaml").read_text())
    assert "refund" in dataset["features"]["numeric"]


def test_the_regression_pipeline_runs_on_it(by_file_name):
    repo, _ = by_file_name
    repro = run(["dvc", "repro"], repo)
    assert stages_ran(repro.stdout) == ALL_STAGES
    metrics = json.loads((repo / "reports" / "evaluate" / "metrics.json").read_text())
    assert metrics["holdout"]["r2"] > 0.9  # the leak at work: what the report warned about
    ingest = json.loads((repo / "reports" / "validation" / "ingest.json").read_text())
    assert [b["batch"] for b in ingest["batches"]] == [str(y) for y in range(2019, 2025)]
