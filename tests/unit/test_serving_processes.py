"""What several server processes share: the request log, the reload generation, the image.

Real processes (multiprocessing), real files; the image's Dockerfile read and linted.
"""

from __future__ import annotations

import json
import multiprocessing
import re
import subprocess
import tomllib
from collections import Counter
from pathlib import Path

from helpers import ROOT

from pipeline.serving.request_log import RequestLog
from pipeline.serving.server import APP, GUNICORN_CONFIG
from pipeline.serving.workers import Siblings

PROCESSES, APPENDS = 4, 60


def _write(path: str, writer: int) -> None:
    log = RequestLog(path, rotate_bytes=15_000)
    for index in range(APPENDS):
        log.append([{"id": f"{writer}-{index}-{row}", "pad": "x" * 80} for row in range(3)])


def test_processes_appending_with_rotation_log_every_row_exactly_once(tmp_path):
    path = tmp_path / "requests.jsonl"
    context = multiprocessing.get_context("spawn")
    writers = [context.Process(target=_write, args=(str(path), n)) for n in range(PROCESSES)]
    for writer in writers:
        writer.start()
    for writer in writers:
        writer.join(timeout=120)
        assert writer.exitcode == 0
    files = RequestLog(path, 15_000).files()
    assert len(files) > 3, "the log should have rotated several times"
    ids = Counter()
    for file in files:
        lines = file.read_text().splitlines()
        assert len(lines) % 3 == 0, f"{file.name}: a request's rows were split"
        ids.update(json.loads(line)["id"] for line in lines)
    expected = {f"{w}-{i}-{r}" for w in range(PROCESSES) for i in range(APPENDS) for r in range(3)}
    assert set(ids) == expected and set(ids.values()) == {1}


def _bump(directory: str, ready: multiprocessing.Queue) -> None:
    siblings = Siblings(directory)
    ready.put(siblings.first_ready())
    for _ in range(25):
        siblings.announce_reload()


def test_reload_generations_from_several_processes_all_count_and_one_says_ready(tmp_path):
    context = multiprocessing.get_context("spawn")
    ready = context.Queue()
    bumpers = [context.Process(target=_bump, args=(str(tmp_path), ready)) for _ in range(4)]
    for bumper in bumpers:
        bumper.start()
    for bumper in bumpers:
        bumper.join(timeout=120)
        assert bumper.exitcode == 0
    assert Siblings(tmp_path).generation() == 100
    assert sorted(ready.get(timeout=10) for _ in range(4)) == [False, False, False, True]
    assert Siblings(None).generation() == 0 and Siblings(None).first_ready()


def _requirement_names(specs: list[str]) -> dict[str, str]:
    return {re.split(r"[=<>\[ ;]", spec, maxsplit=1)[0].lower(): spec for spec in specs}


def test_the_serve_group_pins_what_the_project_pins_and_nothing_of_the_pipeline():
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())
    declared = _requirement_names(project["project"]["dependencies"])
    serve = _requirement_names(project["dependency-groups"]["serve"])
    for name, spec in serve.items():
        assert declared.get(name) == spec, f"serve group {spec!r} differs from the project's"
    assert not set(serve) & {"dvc", "evidently", "dask", "hydra-core", "distributed"}


def test_the_image_runs_gunicorn_with_the_serving_config_and_is_lint_clean():
    dockerfile = (ROOT / "Dockerfile").read_text()
    command = json.loads(re.search(r"(?m)^CMD (\[.*\])$", dockerfile).group(1))
    assert command == ["gunicorn", "--config", GUNICORN_CONFIG, APP]
    assert "uv sync --frozen --only-group serve" in dockerfile
    assert re.search(r"(?m)^USER 10001$", dockerfile), "the server runs as a non-root user"
    assert re.search(r"(?m)^HEALTHCHECK .*/health", dockerfile.replace("\\\n", ""))
    # The uv the image builds with is the uv `make setup` installs.
    uv = re.search(r"(?m)^UV_VERSION := (\S+)$", (ROOT / "Makefile").read_text()).group(1)
    assert f"ghcr.io/astral-sh/uv:{uv} " in dockerfile
    hadolint = Path(ROOT / ".venv" / "bin" / "hadolint")
    result = subprocess.run(
        [str(hadolint) if hadolint.exists() else "hadolint", "Dockerfile"],
        cwd=ROOT,
        capture_output=True,
        text=True,
    )
    assert result.returncode == 0, result.stdout + result.stderr
