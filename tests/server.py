"""Start the prediction API as a real process on 127.0.0.1 and talk to it over HTTP."""

from __future__ import annotations

import json
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def call(
    base: str,
    path: str,
    body: bytes | None = None,
    content_type="application/json",
    headers: dict | None = None,
):
    """(status, parsed JSON) of one request; HTTP errors are answers too."""
    headers = {"content-type": content_type, **(headers or {})}
    request = urllib.request.Request(base + path, data=body, headers=headers)
    try:
        with urllib.request.urlopen(request, timeout=30) as response:
            return response.status, json.loads(response.read())
    except urllib.error.HTTPError as error:
        return error.code, json.loads(error.read() or b"null")


def serve_command(model_file: Path | None, port: int, log_file: Path) -> list[str]:
    """`serve` on a port; without a model file it picks one as `make serve` does."""
    model = ["--model", str(model_file)] if model_file else []
    return [
        *(sys.executable, "-m", "pipeline.cli", "serve", *model),
        *("--port", str(port), "--request-log", str(log_file)),
    ]


def start_server(
    model_file: Path | None, log_file: Path, *extra: str, cwd: Path, env: dict | None = None
) -> tuple[subprocess.Popen, str]:
    """`serve` in `cwd`, a repository whose params.yaml describes the model's dataset (its
    contract and API); return the process and the base URL once /health answers."""
    port = free_port()
    return wait_for_health(
        subprocess.Popen(
            [*serve_command(model_file, port, log_file), *extra],
            cwd=cwd,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
            env=env,
        ),
        port,
    )


def wait_for_health(process: subprocess.Popen, port: int) -> tuple[subprocess.Popen, str]:
    """The process and its base URL once /health answers on `port`."""
    base = f"http://127.0.0.1:{port}"
    for _ in range(240):  # up to two minutes on a loaded machine
        if process.poll() is not None:
            raise AssertionError(f"server exited: {process.stdout.read()}")
        try:
            urllib.request.urlopen(base + "/health", timeout=1)
            return process, base
        except OSError:
            time.sleep(0.5)
    process.kill()
    raise AssertionError("server did not answer /health in time")
