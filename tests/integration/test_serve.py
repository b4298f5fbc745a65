"""The prediction API as a real server on 127.0.0.1, driven over real HTTP."""

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
from helpers import ROOT
from omegaconf import OmegaConf
from server import call, free_port, serve_command, start_server
from sklearn.preprocessing import FunctionTransformer

from pipeline.examples.flights.features import TARGET
from pipeline.modeling import estimators as models
from pipeline.modeling.model_file import load as load_model
from pipeline.modeling.model_file import save as save_model
from pipeline.serving.app import model_categories, scorer

pytestmark = pytest.mark.slow

SERVE = OmegaConf.load(ROOT / "conf" / "serve" / "default.yaml")
MAX_ROWS, MAX_BODY_BYTES = SERVE.max_rows, SERVE.max_body_bytes


@pytest.fixture(scope="module")
def trained(features_small, feature_config, tmp_path_factory):
    """A small real model trained on three real months, saved through the allow-list."""
    categorical, numeric = list(feature_config.categorical), list(feature_config.numeric)
    config = OmegaConf.create({"name": "hist_gbm", "max_iter": 30})
    pipeline = models.build_pipeline(config, categorical, numeric, seed=0)
    models.fit(pipeline, features_small, categorical + numeric, TARGET)
    model_file = tmp_path_factory.mktemp("model") / "model.skops"
    save_model(pipeline, model_file)
    return load_model(model_file), model_file


@pytest.fixture(scope="module")
def server(trained, tmp_path_factory):
    _, model_file = trained
    log_file = tmp_path_factory.mktemp("log") / "requests.jsonl"
    process, base = start_server(model_file, log_file)
    yield base, log_file
    process.terminate()
    process.wait(timeout=30)


def request_rows(frame: pd.DataFrame, columns: list[str]) -> list[dict]:
    """Rows as a client sends them: plain JSON values, missing readings as null."""
    rows = frame[columns].astype(object).to_dict(orient="records")
    return [{k: (None if pd.isna(v) else v) for k, v in row.items()} for row in rows]


def test_predictions_match_the_batch_model_exactly(server, trained, features_small):
    base, _ = server
    pipeline, _ = trained
    columns = list(pipeline.feature_names_in_)
    sample = features_small.sample(300, random_state=1)
    assert sample[columns].isna().any().any(), "the sample should hold missing readings"
    status, answer = call(
        base, "/predict", json.dumps({"rows": request_rows(sample, columns)}).encode()
    )
    assert status == 200, answer
    served = np.array([p["probability"] for p in answer["predictions"]])
    batch = pipeline.predict_proba(sample[columns])[:, 1]
    assert np.array_equal(served, batch)
    assert answer["model_version"] == call(base, "/health")[1]["model_version"]


def test_one_row_requests_match_the_batch_model_exactly(server, trained, features_small):
    base, _ = server
    pipeline, _ = trained
    columns = list(pipeline.feature_names_in_)
    sample = features_small.sample(40, random_state=3)
    served = []
    for row in request_rows(sample, columns):
        status, answer = call(base, "/predict", json.dumps({"rows": [row]}).encode())
        assert status == 200, answer
        served.append(answer["predictions"][0]["probability"])
    assert np.array_equal(np.array(served), pipeline.predict_proba(sample[columns])[:, 1])


def test_a_random_forest_is_served_with_its_pipelines_exact_scores(features_small, feature_config):
    categorical, numeric = list(feature_config.categorical), list(feature_config.numeric)
    config = OmegaConf.create({"name": "random_forest", "n_estimators": 5, "max_depth": 4})
    pipeline = models.build_pipeline(config, categorical, numeric, seed=0)
    models.fit(pipeline, features_small, categorical + numeric, TARGET)
    sample = features_small.sample(200, random_state=4)
    rows = request_rows(sample, categorical + numeric)
    expected = pipeline.predict_proba(sample[categorical + numeric])[:, 1]
    assert np.array_equal(scorer(pipeline)(rows), expected)


def test_every_prediction_lands_in_the_request_log(server, features_small, trained):
    base, log_file = server
    columns = list(trained[0].feature_names_in_)
    before = len(log_file.read_text().splitlines()) if log_file.exists() else 0
    rows = request_rows(features_small.head(7), columns)
    status, answer = call(base, "/predict", json.dumps({"rows": rows}).encode())
    assert status == 200
    records = [json.loads(line) for line in log_file.read_text().splitlines()[before:]]
    assert len(records) == 7
    assert records[0]["inputs"] == rows[0]
    assert records[0]["model_version"] == answer["model_version"]
    assert records[0]["probability"] == answer["predictions"][0]["probability"]


def test_bad_requests_get_a_clear_4xx_and_the_server_keeps_serving(server, features_small, trained):
    base, _ = server
    columns = list(trained[0].feature_names_in_)
    good = request_rows(features_small.head(1), columns)[0]

    def body(*rows) -> bytes:
        return json.dumps({"rows": list(rows)}).encode()

    cases = {
        "wrong type": (body(good | {"distance": "far"}), 422, "distance"),
        "missing field": (body({k: v for k, v in good.items() if k != "origin"}), 422, "origin"),
        "unknown category": (body(good | {"dest": "ZZZ"}), 422, "dest"),
        "out of range": (body(good | {"day_of_week": 9}), 422, "day_of_week"),
        "unexpected field": (body(good | {"arr_delay": 12}), 422, "arr_delay"),
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


def refused(model_file: Path, tmp_path: Path) -> subprocess.CompletedProcess:
    """Start the server on `model_file`; it must exit 1 at once instead of serving."""
    result = subprocess.run(
        serve_command(model_file, free_port(), tmp_path / "log.jsonl"),
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert result.returncode == 1, result.stdout + result.stderr
    return result


def test_a_tampered_model_file_is_refused_at_start(trained, tmp_path):
    pipeline = load_model(trained[1])  # a copy: the fixture's model stays as it is
    # The same model with a step that would call os.getcwd when it runs: not on the allow-list.
    pipeline.steps.insert(0, ("tampered", FunctionTransformer(func=os.getcwd)))
    tampered = tmp_path / "tampered.skops"
    save_model(pipeline, tampered)
    result = refused(tampered, tmp_path)
    assert "refusing to load types outside the allow-list" in result.stderr
    assert "getcwd" in result.stderr
    corrupt = tmp_path / "corrupt.skops"
    corrupt.write_bytes(b"PK\x03\x04 not really a zip")
    assert "not a readable skops model file" in refused(corrupt, tmp_path).stderr


@pytest.fixture(scope="module")
def july():
    from pipeline.data.sources import read_example
    from pipeline.examples.flights.cleaning import mask_impossible_readings
    from pipeline.examples.flights.features import build_features

    flights, weather = read_example(["2013-07"])
    weather, _ = mask_impossible_readings(weather)
    return build_features(flights, weather, late_after_minutes=15)


def monitor_workdir(root: Path, features: pd.DataFrame) -> Path:
    """A folder with this repo's params and a training window of three real months."""
    (root / "data/processed").mkdir(parents=True)
    (root / "params.yaml").write_text((ROOT / "params.yaml").read_text())
    holdout = features.sample(frac=0.2, random_state=0)
    features.drop(holdout.index).to_parquet(root / "data/processed/train.parquet")
    holdout.to_parquet(root / "data/processed/holdout.parquet")
    (root / "reports/evaluate").mkdir(parents=True)
    (root / "reports/evaluate/metrics.json").write_text(json.dumps({"holdout": {"roc_auc": 0.75}}))
    return root


def test_monitor_flags_summer_traffic_and_scores_it_once_labels_arrive(
    server, trained, features_small, july, tmp_path
):
    base, log_file = server
    columns = list(trained[0].feature_names_in_)
    # The API refuses categories the model never saw (a new destination), so send known ones.
    known = model_categories(trained[0])
    servable = july[july["dest"].isin(known["dest"]) & july["carrier"].isin(known["carrier"])]
    sent = servable.sample(2 * MAX_ROWS, random_state=2)
    answers = []
    for chunk in (sent.iloc[:MAX_ROWS], sent.iloc[MAX_ROWS:]):
        status, answer = call(
            base, "/predict", json.dumps({"rows": request_rows(chunk, columns)}).encode()
        )
        assert status == 200
        answers += answer["predictions"]
    workdir = monitor_workdir(tmp_path, features_small)
    command = [sys.executable, "-m", "pipeline.cli", "monitor", "--request-log", str(log_file)]
    labels = tmp_path / "labels.jsonl"
    command += ["--labels", str(labels)]

    result = subprocess.run(command, cwd=workdir, capture_output=True, text=True, timeout=600)
    assert result.returncode == 1, result.stdout + result.stderr
    assert "monitor: FAIL" in result.stdout, result.stdout + result.stderr
    drift = next(line for line in result.stdout.splitlines() if "drifted feature share" in line)
    assert drift.strip().startswith("FAIL") and "temp" in drift
    assert "ROC AUC on the newest batch: not measured" in result.stdout
    assert (workdir / "reports/live/data_drift.html").stat().st_size > 0

    # Outcomes arrive later, keyed by the ids the API returned: live quality is measured.
    labels.write_text(
        "".join(
            json.dumps({"id": answer["id"], "is_late": int(late)}) + "\n"
            for answer, late in zip(answers, sent[TARGET], strict=True)
        )
    )
    result = subprocess.run(command, cwd=workdir, capture_output=True, text=True, timeout=600)
    assert result.returncode == 1 and "monitor: FAIL" in result.stdout, result.stderr
    live = json.loads((workdir / "reports/live/model.json").read_text())
    assert live["current"]["rows"] == len(sent)
    assert 0.5 < live["current"]["roc_auc"] < 1
    assert f"ROC AUC on the newest batch: {live['current']['roc_auc']:.3f}" in result.stdout


@pytest.fixture(scope="module")
def second_model(features_small, feature_config, tmp_path_factory) -> Path:
    """Another real model of the same inputs: a newer version to promote, or an A/B candidate."""
    categorical, numeric = list(feature_config.categorical), list(feature_config.numeric)
    config = OmegaConf.create({"name": "hist_gbm", "max_iter": 10})
    pipeline = models.build_pipeline(config, categorical, numeric, seed=0)
    models.fit(pipeline, features_small, categorical + numeric, TARGET)
    model_file = tmp_path_factory.mktemp("second") / "model.skops"
    save_model(pipeline, model_file)
    return model_file


def test_reload_swaps_in_a_promoted_model_without_dropping_a_request(
    trained, second_model, features_small, tmp_path
):
    served_file = tmp_path / "serving.skops"
    served_file.write_bytes(trained[1].read_bytes())
    process, base = start_server(served_file, tmp_path / "log.jsonl")
    body = json.dumps(
        {"rows": request_rows(features_small.head(5), list(trained[0].feature_names_in_))}
    )
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
        status, reloaded = call(base, "/reload", b"")
        time.sleep(2)
        stop.set()
        worker.join(timeout=60)
        # A refused file keeps the served model.
        served_file.write_bytes(b"PK\x03\x04 broken")
        refused_status, refusal = call(base, "/reload", b"")
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
    trained, second_model, features_small, tmp_path
):
    log_file = tmp_path / "log.jsonl"
    process, base = start_server(
        trained[1], log_file, "--candidate", str(second_model), "--candidate-share", "0.5"
    )
    row = request_rows(features_small.head(1), list(trained[0].feature_names_in_))
    try:
        health = call(base, "/health")[1]
        answers = [
            call(base, "/predict", json.dumps({"rows": row}).encode())[1] for _ in range(120)
        ]
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
