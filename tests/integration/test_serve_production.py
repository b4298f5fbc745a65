"""Serving for production, as a real server on 127.0.0.1: gunicorn with two uvicorn worker
processes, /metrics scraped with Prometheus' own text parser, the admin token, a reload
that reaches every worker, SIGTERM draining requests in flight, and the container image's
command run here, outside a container, in an environment holding only the `serve` group.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import signal
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.request
from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from pathlib import Path

import pandas as pd
import pytest
from helpers import ROOT, commit, make_repo, run
from omegaconf import OmegaConf
from prometheus_client.parser import text_string_to_metric_families
from server import call, free_port, start_server, wait_for_health

from pipeline.config import load_params
from pipeline.modeling import estimators as models
from pipeline.modeling.model_file import load as load_model
from pipeline.modeling.model_file import save as save_model

pytestmark = [pytest.mark.slow, pytest.mark.server]

ROTATE_BYTES = 40_000  # small, so the load below rotates the request log
TOKEN = "s3cret-admin-token"
BEARER = {"Authorization": f"Bearer {TOKEN}"}


@pytest.fixture(scope="module")
def repo(tmp_path_factory) -> Path:
    repo = make_repo(
        tmp_path_factory.mktemp("production") / "repo",
        {"serve/default.yaml": {"rotate_bytes": ROTATE_BYTES}},
    )
    run(["dvc", "repro"], repo)
    commit(repo, "trained")
    return repo


@pytest.fixture(scope="module")
def rows(repo) -> list[dict]:
    """Real rows of the newest batch, as a client sends them (the model's raw inputs)."""
    inputs = list(load_model(repo / "models/model.skops").feature_names_in_)
    frame = pd.read_parquet(repo / "data/processed/current.parquet")[inputs]
    return json.loads(frame.to_json(orient="records"))


@contextmanager
def serving(repo: Path, tmp_path: Path, *extra: str, env: dict | None = None):
    """`serve` with a copy of the model (so a test may replace it); stopped with SIGTERM."""
    tmp_path.mkdir(parents=True, exist_ok=True)
    model_file = tmp_path / "served.skops"
    shutil.copy(repo / "models/model.skops", model_file)
    log_file = tmp_path / "logs" / "requests.jsonl"
    process, base = start_server(
        model_file, log_file, *extra, cwd=repo, env=os.environ | (env or {})
    )
    try:
        yield base, model_file, log_file, process
    finally:
        process.send_signal(signal.SIGTERM)
        process.wait(timeout=60)


def scrape(base: str) -> dict[tuple[str, frozenset], float]:
    """Every sample of /metrics, parsed by prometheus-client's parser: {(name, labels): value}."""
    with urllib.request.urlopen(base + "/metrics", timeout=30) as response:
        assert response.headers["content-type"].startswith("text/plain; version=")
        text = response.read().decode()
    return {
        (sample.name, frozenset(sample.labels.items())): sample.value
        for family in text_string_to_metric_families(text)
        for sample in family.samples
    }


def value(samples: dict, name: str, **labels: str) -> float:
    return samples.get((name, frozenset(labels.items())), 0.0)


def predict(base: str, rows: list[dict]) -> tuple[int, dict]:
    return call(base, "/predict", json.dumps({"rows": rows}).encode())


def workers_seen(base: str, until: int, seconds: float = 120) -> dict[int, str]:
    """The model version each worker answers /health with, until `until` workers answered
    or `seconds` passed. Bounded by time, not by tries: a worker that builds its own app
    (uvicorn --workers, no preloading) can take tens of seconds on a loaded machine."""
    seen: dict[int, str] = {}
    deadline = time.monotonic() + seconds
    while len(seen) < until and time.monotonic() < deadline:
        health = call(base, "/health")[1]
        seen[health["worker"]] = health["model_version"]
        time.sleep(0.01)
    return seen


@pytest.fixture(scope="module")
def two_workers(repo, tmp_path_factory):
    """One server, two worker processes, the admin token in the environment."""
    tmp = tmp_path_factory.mktemp("two-workers")
    with serving(repo, tmp, "--workers", "2", env={"PIPELINE_ADMIN_TOKEN": TOKEN}) as server:
        yield server


def test_make_serve_says_where_it_answers_once_ready(two_workers):
    base, _, _, process = two_workers
    version = call(base, "/health")[1]["model_version"]
    # Printed before the first worker answers, so it is there already.
    line = process.stdout.readline()
    assert line.startswith(f"serve: ready on {base} (API docs {base}/docs"), line
    assert f"model {version}, 2 worker(s)" in line


def test_the_metrics_move_by_exactly_the_traffic_sent_under_load(two_workers, rows):
    base, _, log_file, _ = two_workers
    version = call(base, "/health")[1]["model_version"]
    before = scrape(base)
    good = [rows[i : i + 5] for i in range(0, 200, 5)]  # 40 requests, 200 rows
    bad = [[rows[0] | {"plan": "gold"}]] * 20  # unknown category: 422

    with ThreadPoolExecutor(4) as pool:
        answers = list(pool.map(lambda batch: predict(base, batch), good + bad))
    assert [status for status, _ in answers] == [200] * 40 + [422] * 20
    after = scrape(base)

    def moved(name: str, **labels: str) -> float:
        return value(after, name, **labels) - value(before, name, **labels)

    predict_200 = {"route": "/predict", "method": "POST", "status": "200"}
    assert moved("pipeline_requests_total", **predict_200) == 40
    assert moved("pipeline_requests_total", **(predict_200 | {"status": "422"})) == 20
    assert moved("pipeline_request_duration_seconds_count", route="/predict") == 60
    assert moved("pipeline_rows_scored_total", model_version=version) == 200
    assert moved("pipeline_score_count", model_version=version) == 200
    served = [p["probability"] for _, answer in answers[:40] for p in answer["predictions"]]
    assert moved("pipeline_score_sum", model_version=version) == pytest.approx(sum(served))
    # Each score falls in one bucket; the last bucket (1.0) holds them all.
    assert moved("pipeline_score_bucket", model_version=version, le="1.0") == 200
    below_half = sum(score <= 0.5 for score in served)
    assert moved("pipeline_score_bucket", model_version=version, le="0.5") == below_half
    assert value(after, "pipeline_model_info", role="served", version=version) == 1
    # The log's size and rotations, as the files on disk show them.
    rotated = len(list(log_file.parent.glob("requests-*.jsonl")))
    assert rotated >= 1
    assert value(after, "pipeline_request_log_rotations_total") == rotated
    assert value(after, "pipeline_request_log_bytes") == log_file.stat().st_size


def test_two_workers_log_every_row_exactly_once(two_workers, rows):
    base, _, log_file, _ = two_workers
    logged_before = set(logged_ids(log_file))  # earlier tests' traffic
    pids: set[int] = set()
    stop = threading.Event()

    def watch() -> None:  # which workers answer while the load runs
        while not stop.is_set():
            pids.add(call(base, "/health")[1]["worker"])

    watcher = threading.Thread(target=watch)
    watcher.start()
    batches = [rows[i % 180 : i % 180 + 4] for i in range(0, 800, 4)]  # 200 requests, 800 rows
    with ThreadPoolExecutor(8) as pool:
        answers = list(pool.map(lambda batch: predict(base, batch), batches))
    stop.set()
    watcher.join()
    assert len(pids) == 2, "both workers should have answered during the load"
    assert all(status == 200 for status, _ in answers)
    returned = [p["id"] for _, answer in answers for p in answer["predictions"]]
    assert len(set(returned)) == 800

    counts = Counter(id_ for id_ in logged_ids(log_file) if id_ not in logged_before)
    assert set(counts) == set(returned), "every returned id logged, nothing else"
    assert set(counts.values()) == {1}, "no row logged twice"
    assert len(list(log_file.parent.glob("requests-*.jsonl"))) > 1, "rotated under load"


def log_files(log_file: Path) -> list[Path]:
    """The rotated files, oldest first, then the current one (none right after a rotation)."""
    current = [log_file] if log_file.exists() else []
    return [*sorted(log_file.parent.glob("requests-*.jsonl")), *current]


def logged_ids(log_file: Path) -> list[str]:
    """The id of every line in the log and its rotated files (each line must be whole JSON)."""
    lines = [line for path in log_files(log_file) for line in path.read_text().splitlines()]
    return [json.loads(line)["id"] for line in lines]


def test_reload_needs_the_token_and_reaches_every_worker(two_workers, repo, rows, tmp_path):
    base, model_file, _, _ = two_workers
    old = call(base, "/health")[1]["model_version"]
    assert set(workers_seen(base, until=2).values()) == {old}

    # A newer model of the same inputs, promoted by replacing the served file whole.
    dataset = load_params(repo / "params.yaml").dataset
    categorical, numeric = list(dataset.features.categorical), list(dataset.features.numeric)
    config = OmegaConf.create({"name": "hist_gbm", "max_iter": 10})
    newer = models.build_pipeline(config, categorical, numeric, 0, dataset.derived)
    train = pd.read_parquet(repo / "data/processed/train.parquet")
    models.fit(newer, train, list(newer_inputs(repo)), dataset.target)
    staged = tmp_path / "newer.skops"
    save_model(newer, staged)
    staged.replace(model_file)

    status, answer = call(base, "/reload", b"")
    assert status == 403 and "Authorization: Bearer" in answer["detail"]
    status, answer = call(base, "/reload", b"", headers={"Authorization": "Bearer wrong"})
    assert (status, answer["detail"]) == (403, "wrong admin token")
    assert set(workers_seen(base, until=2).values()) == {old}, "refused: nothing changed"

    status, answer = call(base, "/reload", b"", headers=BEARER)
    assert status == 200, answer
    new = answer["model_version"]
    assert new != old
    # The other worker follows within its poll interval: both answer with the new version.
    deadline = time.monotonic() + 20
    while time.monotonic() < deadline:
        seen = workers_seen(base, until=2)
        if len(seen) == 2 and set(seen.values()) == {new}:
            break
        time.sleep(0.2)
    assert len(seen) == 2 and set(seen.values()) == {new}, seen
    assert all(predict(base, rows[:1])[1]["model_version"] == new for _ in range(20))
    samples = scrape(base)
    assert value(samples, "pipeline_model_info", role="served", version=new) == 1
    assert value(samples, "pipeline_model_info", role="served", version=old) == 0
    assert value(samples, "pipeline_reloads_total", outcome="loaded") == 2  # one per worker


def newer_inputs(repo: Path) -> list[str]:
    return list(load_model(repo / "models/model.skops").feature_names_in_)


def test_admin_endpoints_are_off_without_a_token_and_read_it_from_local_secrets(repo, tmp_path):
    env = {"PIPELINE_ADMIN_TOKEN": ""}
    with serving(repo, tmp_path / "off", env=env) as (base, *_):
        status, answer = call(base, "/reload", b"", headers=BEARER)
    assert status == 403
    assert "admin endpoints are off: set PIPELINE_ADMIN_TOKEN" in answer["detail"]
    assert "conf/local/secrets.yaml" in answer["detail"]

    secrets = repo / "conf/local/secrets.yaml"
    secrets.parent.mkdir(parents=True, exist_ok=True)
    secrets.write_text(f"PIPELINE_ADMIN_TOKEN: {TOKEN}\n")
    try:
        with serving(repo, tmp_path / "on", env=env) as (base, *_):
            refused = call(base, "/reload", b"", headers={"Authorization": "Bearer nope"})[0]
            status, answer = call(base, "/reload", b"", headers=BEARER)
    finally:
        secrets.unlink()
    assert refused == 403
    assert status == 200 and answer["model_version"]


def test_sigterm_answers_every_request_in_flight_before_exiting(repo, rows, tmp_path):
    """Requests are sent, then the server gets SIGTERM while they are being answered: each
    one gets its 200, and the server exits 0."""
    batch = (rows * 6)[:1000]  # the most rows one request may carry
    with serving(repo, tmp_path, "--workers", "2") as (base, _, log_file, process):
        answered: list[tuple[int, float, str]] = []
        first = threading.Event()
        body = json.dumps({"rows": batch}).encode()

        def send() -> None:
            # The raw answer, whatever it is: a refusal during shutdown need not be JSON.
            request = urllib.request.Request(
                base + "/predict", body, {"content-type": "application/json"}
            )
            try:
                with urllib.request.urlopen(request, timeout=120) as response:
                    status, text = response.status, ""
            except urllib.error.HTTPError as error:
                status, text = error.code, error.read().decode(errors="replace")[:200]
            except OSError as error:  # reset or refused: no answer at all
                status, text = 0, repr(error)
            answered.append((status, time.monotonic(), text))
            first.set()

        clients = [threading.Thread(target=send) for _ in range(16)]
        for client in clients:
            client.start()
        assert first.wait(timeout=60)
        port = int(base.rsplit(":", 1)[1])
        # In flight means received: wait until the kernel holds nothing the server has not
        # read. A connection still in the accept queue when SIGTERM comes is reset, as in
        # any server: the proxy in front stops sending first (docs/serving.md).
        deadline = time.monotonic() + 30
        while not received_all(port, 16 - len(answered)) and time.monotonic() < deadline:
            time.sleep(0.005)
        signalled = time.monotonic()
        process.send_signal(signal.SIGTERM)
        for client in clients:
            client.join(timeout=120)
        assert process.wait(timeout=60) == 0
        server_output = process.stdout.read()
    assert [status for status, *_ in answered] == [200] * 16, (answered, server_output[-3000:])
    assert any(at > signalled for _, at, _ in answered), "some answers came after SIGTERM"
    logged = sum(len(path.read_text().splitlines()) for path in log_files(log_file))
    assert logged == 16 * 1000


def received_all(port: int, open_requests: int) -> bool:
    """Whether the server on `port` has accepted `open_requests` connections and read every
    byte sent on them (Linux's /proc/net/tcp: the accept queue and each receive queue)."""
    listening, established = None, []
    for line in Path("/proc/net/tcp").read_text().splitlines()[1:]:
        fields = line.split()
        if int(fields[1].rsplit(":", 1)[1], 16) != port:
            continue
        unread = int(fields[4].split(":")[1], 16)
        if fields[3] == "0A":  # LISTEN: its receive queue is the accept queue
            listening = unread
        elif fields[3] == "01":  # ESTABLISHED
            established.append(unread)
    return listening == 0 and len(established) >= open_requests and not any(established)


def dockerfile() -> tuple[list[str], dict[str, str], list[str]]:
    """The image's CMD, its ENV and its HEALTHCHECK command, read from the Dockerfile."""
    text = (ROOT / "Dockerfile").read_text().replace("\\\n", " ")
    command = json.loads(re.search(r"(?m)^CMD (\[.*\])$", text).group(1))
    healthcheck = json.loads(re.search(r"(?m)^HEALTHCHECK .*? CMD (\[.*\])$", text).group(1))
    env: dict[str, str] = {}
    for line in re.findall(r"(?m)^ENV (.*)$", text):
        env |= dict(re.findall(r"(\w+)=(\S+)", line))
    return command, env, healthcheck


def test_the_image_command_serves_from_the_serve_group_alone(repo, rows, tmp_path):
    """The image's environment made as its Dockerfile makes it (`uv sync --only-group
    serve`), the image's layout (/app holding params.yaml, the package on PYTHONPATH, the
    model mounted), its ENV and its CMD: with only the bind and the paths moved here."""
    venv = tmp_path / "venv"
    uv = shutil.which("uv") or str(ROOT / ".tools" / "bin" / "uv")
    subprocess.run(
        [uv, "sync", "--frozen", "--only-group", "serve", "--no-install-project"],
        cwd=ROOT,
        env=os.environ | {"UV_PROJECT_ENVIRONMENT": str(venv), "UV_PYTHON": sys.executable},
        check=True,
        capture_output=True,
        timeout=600,
    )
    installed = {
        path.name.split("-")[0].lower()
        for path in (venv / "lib").glob("*/site-packages/*.dist-info")
    }
    assert {"gunicorn", "fastapi", "scikit_learn", "prometheus_client"} <= installed
    assert not installed & {"dvc", "evidently", "dask", "hydra_core", "pytest"}, installed

    app_dir = tmp_path / "app"  # the image's WORKDIR
    app_dir.mkdir()
    shutil.copy(repo / "params.yaml", app_dir)
    # ...and a contract written as column rules, which the API checks requests with
    assert "\nCOPY conf/columns /app/conf/columns\n" in (ROOT / "Dockerfile").read_text()
    shutil.copytree(repo / "conf" / "columns", app_dir / "conf" / "columns")
    command, image_env, healthcheck = dockerfile()
    assert image_env["PIPELINE_SERVE_WORKERS"] == "2"
    port = free_port()
    env = {key: value for key, value in os.environ.items() if not key.startswith("PIPELINE_")}
    env |= image_env | {
        "PATH": f"{venv / 'bin'}{os.pathsep}{os.environ['PATH']}",
        "PYTHONPATH": str(ROOT / "src"),
        "PIPELINE_SERVE_BIND": f"127.0.0.1:{port}",
        "PIPELINE_SERVE_MODEL": str(repo / "models/model.skops"),
        "PIPELINE_SERVE_REQUEST_LOG": str(tmp_path / "logs/requests.jsonl"),
    }
    process, base = wait_for_health(
        subprocess.Popen(
            command,
            cwd=app_dir,
            env=env,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
        ),
        port,
    )
    try:
        probe = [part.replace("127.0.0.1:8000", f"127.0.0.1:{port}") for part in healthcheck]
        assert subprocess.run(probe, env=env, timeout=30).returncode == 0
        status, answer = predict(base, rows[:3])
        assert status == 200 and len(answer["predictions"]) == 3
        assert len(workers_seen(base, until=2)) == 2
        assert call(base, "/reload", b"")[0] == 403  # no token in the image by default
    finally:
        process.send_signal(signal.SIGTERM)
        assert process.wait(timeout=60) == 0


def test_uvicorn_runs_the_factory_with_two_workers(repo, rows, tmp_path):
    port = free_port()
    shared = tmp_path / "shared"
    shared.mkdir()
    env = os.environ | {
        "PROMETHEUS_MULTIPROC_DIR": str(shared),
        "PIPELINE_SERVE_MODEL": str(repo / "models/model.skops"),
        "PIPELINE_SERVE_REQUEST_LOG": str(tmp_path / "requests.jsonl"),
    }
    command = [sys.executable, "-m", "uvicorn", "pipeline.serving.factory:create_app"]
    command += ["--factory", "--workers", "2", "--host", "127.0.0.1", "--port", str(port)]
    process, base = wait_for_health(
        subprocess.Popen(
            command, cwd=repo, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True
        ),
        port,
    )
    try:
        assert len(workers_seen(base, until=2)) == 2
        for _ in range(10):
            assert predict(base, rows[:2])[0] == 200
        samples = scrape(base)  # whichever worker answers counts both
        version = call(base, "/health")[1]["model_version"]
        assert value(samples, "pipeline_rows_scored_total", model_version=version) == 20
    finally:
        process.send_signal(signal.SIGTERM)
        process.wait(timeout=60)
