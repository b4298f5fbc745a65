"""The prediction API as a real server on 127.0.0.1, driven over real HTTP.

It serves the model a real `dvc repro` trained on the framework's fixture dataset
(tests/data/shop). The model starts with its derived columns, so a request row holds the raw
input columns a client has (signup_hhmm, not the signup_hour computed from it), and may be a
row of the client's file as it is (its id, year and target too).
"""

from __future__ import annotations

import http.client
import json
import os
import subprocess
import sys
import threading
import time
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from helpers import FIXTURE_FILES, ROOT, build_trained, copy_state, make_repo, run
from omegaconf import OmegaConf
from server import call, free_port, serve_command, start_server
from sklearn.preprocessing import FunctionTransformer

from pipeline.config import load_params
from pipeline.modeling import estimators as models
from pipeline.modeling.model_file import load as load_model
from pipeline.modeling.model_file import save as save_model
from pipeline.serving.app import scorer

pytestmark = [pytest.mark.slow, pytest.mark.server]

SERVE = OmegaConf.load(ROOT / "conf" / "serve" / "default.yaml")
MAX_ROWS, MAX_BODY_BYTES = SERVE.max_rows, SERVE.max_body_bytes
RAW_INPUTS = ["region", "plan", "tenure_months", "monthly_spend", "support_calls", "signup_hhmm"]
TARGET = "churned"
# The file's other columns: a request may carry them; the model never reads them.
OTHER_COLUMNS = ["customer_id", "year", TARGET, "annual_value"]


@pytest.fixture(scope="module")
def repo(tmp_path_factory) -> Path:
    """A repository where `dvc repro` trained and evaluated the model on the fixture."""
    return copy_state("trained", build_trained, tmp_path_factory.mktemp("serve") / "repo")


@pytest.fixture(scope="module")
def dataset(repo):
    return load_params(repo / "params.yaml").dataset


@pytest.fixture(scope="module")
def trained(repo):
    """The pipeline's own model file, and the model loaded through the allow-list."""
    model_file = repo / "models/model.skops"
    return load_model(model_file), model_file


@pytest.fixture(scope="module")
def frames(repo) -> dict[str, pd.DataFrame]:
    """The rows the batch model scored: the training window's holdout and the newest batch."""
    return {
        split: pd.read_parquet(repo / f"data/processed/{split}.parquet")
        for split in ("train", "holdout", "current")
    }


@pytest.fixture(scope="module")
def server(repo, trained, tmp_path_factory):
    _, model_file = trained
    log_file = tmp_path_factory.mktemp("log") / "requests.jsonl"
    process, base = start_server(model_file, log_file, cwd=repo)
    yield base, log_file
    process.terminate()
    process.wait(timeout=30)


def request_rows(frame: pd.DataFrame, columns: list[str] = RAW_INPUTS) -> list[dict]:
    """Rows as a client sends them: plain JSON values, missing values as null."""
    rows = frame[columns].astype(object).to_dict(orient="records")
    return [{k: (None if pd.isna(v) else v) for k, v in row.items()} for row in rows]


def predict(base: str, rows: list[dict]) -> tuple[int, dict]:
    return call(base, "/predict", json.dumps({"rows": rows}).encode())


def test_the_model_takes_the_raw_input_columns(trained):
    pipeline, _ = trained
    assert list(pipeline.feature_names_in_) == RAW_INPUTS
    assert pipeline.steps[0][0] == "derive"


def test_every_row_of_the_newest_batch_gets_exactly_the_batch_models_score(
    server, trained, frames, repo
):
    base, _ = server
    current = frames["current"]
    assert current[RAW_INPUTS].isna().any().any(), "the batch should hold missing values"
    status, answer = predict(base, request_rows(current))
    assert status == 200, answer
    served = np.array([p["probability"] for p in answer["predictions"]])
    # The scores evaluate wrote for this batch in `dvc repro`, bit for bit.
    scored = pd.read_parquet(repo / "reports/evaluate/predictions.parquet")
    batch = scored.loc[scored["split"] == "current", "probability"].to_numpy()
    assert np.array_equal(served, batch)
    assert np.array_equal(served, trained[0].predict_proba(current[RAW_INPUTS])[:, 1])
    assert answer["model_version"] == call(base, "/health")[1]["model_version"]
    # A response row is {id, probability, predicted}; predicted applies the threshold.
    for row, probability in zip(answer["predictions"], served, strict=True):
        assert set(row) == {"id", "probability", "predicted"}
        assert row["predicted"] == (probability >= 0.5)


def test_one_row_requests_match_the_batch_model_exactly(server, trained, frames):
    base, _ = server
    pipeline, _ = trained
    sample = frames["holdout"].sample(40, random_state=3)
    served = []
    for row in request_rows(sample):
        status, answer = predict(base, [row])
        assert status == 200, answer
        served.append(answer["predictions"][0]["probability"])
    assert np.array_equal(np.array(served), pipeline.predict_proba(sample[RAW_INPUTS])[:, 1])


def test_the_api_docs_name_the_row_after_the_dataset_and_list_its_raw_columns(server):
    base, _ = server
    status, spec = call(base, "/openapi.json")
    assert status == 200
    assert spec["info"]["title"] == "Churn prediction"
    assert "cancels within the year" in spec["info"]["description"]
    assert "joined" not in spec["info"]["description"]  # one table: nothing is joined
    row = spec["components"]["schemas"]["Customer"]
    assert list(row["properties"]) == RAW_INPUTS + OTHER_COLUMNS
    assert row["required"] == RAW_INPUTS
    assert row["additionalProperties"] is False
    # The contract's ranges and the model's categories are the API's limits.
    assert row["properties"]["signup_hhmm"]["maximum"] == 2359
    assert row["properties"]["tenure_months"]["minimum"] == 0
    plans = spec["components"]["schemas"]["plan_value"]["enum"]
    assert sorted(plans) == ["basic", "pro", "team"]


def test_a_random_forest_is_served_with_its_pipelines_exact_scores(frames, dataset):
    categorical, numeric = list(dataset.features.categorical), list(dataset.features.numeric)
    config = OmegaConf.create({"name": "random_forest", "n_estimators": 5, "max_depth": 4})
    pipeline = models.build_pipeline(config, categorical, numeric, 0, dataset.derived)
    models.fit(pipeline, frames["train"], RAW_INPUTS, TARGET)
    sample = frames["holdout"].sample(200, random_state=4)
    expected = pipeline.predict_proba(sample[RAW_INPUTS])[:, 1]
    assert np.array_equal(scorer(pipeline)(request_rows(sample)), expected)


def test_every_prediction_lands_in_the_request_log(server, frames):
    base, log_file = server
    before = len(log_file.read_text().splitlines()) if log_file.exists() else 0
    rows = request_rows(frames["holdout"].head(7))
    status, answer = predict(base, rows)
    assert status == 200
    records = [json.loads(line) for line in log_file.read_text().splitlines()[before:]]
    assert len(records) == 7
    assert records[0]["inputs"] == rows[0]
    assert records[0]["id"] == answer["predictions"][0]["id"]
    assert records[0]["model_version"] == answer["model_version"]
    assert records[0]["probability"] == answer["predictions"][0]["probability"]


def file_rows(path: Path) -> list[dict]:
    """The rows of a CSV file as they are, every column, as JSON (missing values as null)."""
    frame = pd.read_csv(path)
    return request_rows(frame, list(frame.columns))


def test_a_row_of_the_clients_file_as_it_is_gets_the_models_score(server, trained):
    base, log_file = server
    path = FIXTURE_FILES / "2021.csv"
    rows = file_rows(path)[:50]
    assert set(rows[0]) == set(RAW_INPUTS + OTHER_COLUMNS)
    before = len(log_file.read_text().splitlines()) if log_file.exists() else 0
    status, answer = predict(base, rows)
    assert status == 200, answer
    expected = trained[0].predict_proba(pd.read_csv(path).head(50)[RAW_INPUTS])[:, 1]
    assert np.array_equal([p["probability"] for p in answer["predictions"]], expected)
    # The log keeps the file's other columns apart from the model's inputs.
    record = json.loads(log_file.read_text().splitlines()[before])
    assert record["inputs"] == {column: rows[0][column] for column in RAW_INPUTS}
    assert record["context"] == {column: rows[0][column] for column in OTHER_COLUMNS}


def test_bad_requests_get_a_clear_4xx_and_the_server_keeps_serving(server, frames):
    base, _ = server
    good = request_rows(frames["holdout"].head(1))[0]

    def body(*rows) -> bytes:
        return json.dumps({"rows": list(rows)}).encode()

    cases = {
        "wrong type": (body(good | {"tenure_months": "long"}), 422, "tenure_months"),
        "missing field": (body({k: v for k, v in good.items() if k != "region"}), 422, "region"),
        "unknown category": (body(good | {"plan": "gold"}), 422, "plan"),
        "out of range": (body(good | {"signup_hhmm": 2400}), 422, "signup_hhmm"),
        "negative count": (body(good | {"support_calls": -1}), 422, "support_calls"),
        "unknown field": (body(good | {"coupon": "X1"}), 422, "coupon"),
        "the file's year out of its range": (body(good | {"year": 1800}), 422, "year"),
        # derived inside the model: a client sends signup_hhmm, never signup_hour
        "derived column": (body(good | {"signup_hour": 13.5}), 422, "signup_hour"),
        # Python's JSON reader takes these; the API does not
        "infinite number": (
            json.dumps({"rows": [good | {"monthly_spend": float("inf")}]}).encode(),
            422,
            "monthly_spend",
        ),
        "NaN": (
            json.dumps({"rows": [good | {"monthly_spend": float("nan")}]}).encode(),
            422,
            "finite",
        ),
        "no rows": (body(), 422, "rows"),
        "too many rows": (body(*[good] * (MAX_ROWS + 1)), 422, "rows"),
        "empty body": (b"", 422, "body"),
        "malformed JSON": (b'{"rows": [', 422, "JSON"),
    }
    for name, (payload, status, mention) in cases.items():
        got, answer = call(base, "/predict", payload)
        assert got == status, f"{name}: {got} {answer}"
        assert mention in json.dumps(answer), f"{name}: the answer should name {mention}: {answer}"
    # An oversized body is refused from its declared length, before it is read (the server
    # answers at once, so the client sends only the headers here).
    host, port = base.removeprefix("http://").split(":")
    connection = http.client.HTTPConnection(host, int(port), timeout=30)
    connection.putrequest("POST", "/predict")
    connection.putheader("Content-Type", "application/json")
    connection.putheader("Content-Length", str(MAX_BODY_BYTES + 1))
    connection.endheaders()
    response = connection.getresponse()
    assert response.status == 413
    assert f"over {MAX_BODY_BYTES} bytes" in response.read().decode()
    connection.close()
    status, health = call(base, "/health")
    assert status == 200 and health["status"] == "ok"
    assert call(base, "/predict", body(good))[0] == 200


def test_openapi_fuzzing_finds_no_server_error(server, tmp_path):
    base, _ = server
    result = subprocess.run(
        [
            *(str(Path(sys.executable).parent / "schemathesis"), "run", f"{base}/openapi.json"),
            *("--checks", "not_a_server_error", "--max-examples", "40", "--seed", "1"),
        ],
        capture_output=True,
        text=True,
        timeout=600,
        cwd=tmp_path,  # schemathesis keeps its state in ./.schemathesis
        env=os.environ | {"NO_COLOR": "1"},
    )
    assert result.returncode == 0, result.stdout[-4000:] + result.stderr[-2000:]


def refused(model_file: Path, repo: Path, tmp_path: Path) -> subprocess.CompletedProcess:
    """Start the server on `model_file`; it must exit 1 at once instead of serving."""
    result = subprocess.run(
        serve_command(model_file, free_port(), tmp_path / "log.jsonl"),
        cwd=repo,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert result.returncode == 1, result.stdout + result.stderr
    return result


def test_a_tampered_model_file_is_refused_at_start(trained, repo, tmp_path):
    pipeline = load_model(trained[1])  # a copy: the fixture's model stays as it is
    # The same model with a step that would call os.getcwd when it runs: not on the allow-list.
    pipeline.steps.insert(0, ("tampered", FunctionTransformer(func=os.getcwd)))
    tampered = tmp_path / "tampered.skops"
    save_model(pipeline, tampered)
    result = refused(tampered, repo, tmp_path)
    assert "refusing to load types outside the allow-list" in result.stderr
    assert "getcwd" in result.stderr
    corrupt = tmp_path / "corrupt.skops"
    corrupt.write_bytes(b"PK\x03\x04 not really a zip")
    assert "not a readable skops model file" in refused(corrupt, repo, tmp_path).stderr


def test_monitor_flags_drifted_traffic_and_scores_it_once_labels_arrive(
    repo, trained, frames, tmp_path
):
    """Traffic like the newest batch (customers who spend more and call support more) is
    served from a fresh log, then held to the gate against the training window."""
    log_file = tmp_path / "requests.jsonl"
    process, base = start_server(trained[1], log_file, cwd=repo)
    sent = frames["current"]
    answers = []
    try:
        for chunk in (sent.iloc[:200], sent.iloc[200:]):
            status, answer = predict(base, request_rows(chunk))
            assert status == 200, answer
            answers += answer["predictions"]
    finally:
        process.terminate()
        process.wait(timeout=30)
    labels = tmp_path / "labels.jsonl"
    command = [sys.executable, "-m", "pipeline.cli", "monitor", "--request-log", str(log_file)]
    command += ["--labels", str(labels)]

    result = subprocess.run(command, cwd=repo, capture_output=True, text=True, timeout=600)
    assert result.returncode == 1, result.stdout + result.stderr
    assert "monitor: FAIL" in result.stdout, result.stdout + result.stderr
    drift = next(line for line in result.stdout.splitlines() if "drifted feature share" in line)
    assert drift.strip().startswith("FAIL") and "monthly_spend" in drift
    assert "ROC AUC on the newest batch: not measured" in result.stdout
    assert (repo / "reports/live/data_drift.html").stat().st_size > 0

    # Outcomes arrive later, keyed by the ids the API returned: live quality is measured.
    labels.write_text(
        "".join(
            json.dumps({"id": answer["id"], TARGET: int(label)}) + "\n"
            for answer, label in zip(answers, sent[TARGET], strict=True)
        )
    )
    result = subprocess.run(command, cwd=repo, capture_output=True, text=True, timeout=600)
    assert result.returncode == 1 and "monitor: FAIL" in result.stdout, result.stderr
    live = json.loads((repo / "reports/live/model.json").read_text())
    assert live["current"]["rows"] == len(sent)
    assert 0.5 < live["current"]["roc_auc"] < 1
    # The same rows, the same scores: live ROC AUC is the batch's own.
    batch = json.loads((repo / "reports/evaluate/metrics.json").read_text())["current"]
    assert live["current"]["roc_auc"] == pytest.approx(batch["roc_auc"], abs=1e-6)
    assert f"ROC AUC on the newest batch: {live['current']['roc_auc']:.3f}" in result.stdout


@pytest.fixture(scope="module")
def second_model(frames, dataset, tmp_path_factory) -> Path:
    """Another real model of the same inputs: a newer version to promote, or an A/B candidate."""
    categorical, numeric = list(dataset.features.categorical), list(dataset.features.numeric)
    config = OmegaConf.create({"name": "hist_gbm", "max_iter": 10})
    pipeline = models.build_pipeline(config, categorical, numeric, 0, dataset.derived)
    models.fit(pipeline, frames["train"], RAW_INPUTS, TARGET)
    model_file = tmp_path_factory.mktemp("second") / "model.skops"
    save_model(pipeline, model_file)
    return model_file


def test_reload_swaps_in_a_promoted_model_without_dropping_a_request(
    repo, trained, second_model, frames, tmp_path
):
    served_file = tmp_path / "serving.skops"
    served_file.write_bytes(trained[1].read_bytes())
    token = {"Authorization": "Bearer reload-test-token"}
    env = os.environ | {"PIPELINE_ADMIN_TOKEN": "reload-test-token"}
    process, base = start_server(served_file, tmp_path / "log.jsonl", cwd=repo, env=env)
    body = json.dumps({"rows": request_rows(frames["holdout"].head(5))})
    answers: list[tuple[int, str]] = []
    stop = threading.Event()

    def client() -> None:
        while not stop.is_set():
            status, answer = call(base, "/predict", body.encode())
            answers.append((status, answer.get("model_version") if status == 200 else str(answer)))

    try:
        old = call(base, "/health")[1]["model_version"]
        worker = threading.Thread(target=client)
        worker.start()
        time.sleep(2)
        tmp = tmp_path / ".serving.skops.tmp"
        tmp.write_bytes(second_model.read_bytes())
        tmp.replace(served_file)  # promotion: the new file appears whole
        status, reloaded = call(base, "/reload", b"", headers=token)
        time.sleep(2)
        stop.set()
        worker.join(timeout=60)
        # A refused file keeps the served model.
        served_file.write_bytes(b"PK\x03\x04 broken")
        refused_status, refusal = call(base, "/reload", b"", headers=token)
    finally:
        process.terminate()
        process.wait(timeout=30)
    assert status == 200 and reloaded["model_version"] != old
    assert [s for s, _ in answers if s != 200] == [], answers[:3]
    versions = [v for _, v in answers]
    assert versions[0] == old and versions[-1] == reloaded["model_version"]
    switch = versions.index(reloaded["model_version"])
    assert set(versions[:switch]) == {old} and set(versions[switch:]) == {reloaded["model_version"]}
    assert refused_status == 409 and "kept the served model" in refusal["detail"]


def test_ab_split_answers_from_both_models_and_says_which(
    repo, trained, second_model, frames, tmp_path
):
    log_file = tmp_path / "log.jsonl"
    process, base = start_server(
        trained[1],
        log_file,
        "--candidate",
        str(second_model),
        "--candidate-share",
        "0.5",
        cwd=repo,
    )
    row = request_rows(frames["holdout"].head(1))
    try:
        health = call(base, "/health")[1]
        answers = [predict(base, row)[1] for _ in range(120)]
    finally:
        process.terminate()
        process.wait(timeout=30)
    versions = [answer["model_version"] for answer in answers]
    primary, candidate = health["model_version"], health["candidate_version"]
    assert set(versions) == {primary, candidate}
    assert 0.25 < versions.count(candidate) / len(versions) < 0.75
    # Each model gives its own score; the log says which version produced each prediction.
    scores = {
        answer["model_version"]: answer["predictions"][0]["probability"] for answer in answers
    }
    assert scores[primary] != scores[candidate]
    logged = {
        json.loads(line)["id"]: json.loads(line)["model_version"]
        for line in log_file.read_text().splitlines()
    }
    assert all(logged[a["predictions"][0]["id"]] == a["model_version"] for a in answers)


def test_a_model_of_numbers_alone_trained_by_the_pipeline_is_served(tmp_path):
    """A dataset whose features are all numbers: the model has no categorical column, and
    the server starts and scores a row of the file (region and plan carried, not read)."""
    numeric = ["tenure_months", "monthly_spend", "support_calls", "signup_hour"]
    features = {"features": {"categorical": [], "numeric": numeric}}
    repo = make_repo(tmp_path / "repo", {"dataset/shop.yaml": features})
    run(["dvc", "repro", "train"], repo)
    model = load_model(repo / "models/model.skops")
    inputs = ["tenure_months", "monthly_spend", "support_calls", "signup_hhmm"]
    assert list(model.feature_names_in_) == inputs
    process, base = start_server(repo / "models/model.skops", tmp_path / "log.jsonl", cwd=repo)
    path = FIXTURE_FILES / "2021.csv"
    try:
        status, answer = predict(base, file_rows(path)[:20])
        spec = call(base, "/openapi.json")[1]
    finally:
        process.terminate()
        process.wait(timeout=30)
    assert status == 200, answer
    expected = model.predict_proba(pd.read_csv(path).head(20)[inputs])[:, 1]
    assert np.array_equal([p["probability"] for p in answer["predictions"]], expected)
    assert spec["components"]["schemas"]["Customer"]["required"] == inputs
