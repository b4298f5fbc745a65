"""gunicorn's settings for the prediction API: uvicorn workers, graceful stops, shared metrics.

    gunicorn --config python:pipeline.serving.gunicorn_conf 'pipeline.serving.factory:create_app()'

This is what `make serve` and the container image run. Read from the repository's
params.yaml (serve.host, serve.port, serve.workers, serve.drain_seconds), overridden by
PIPELINE_SERVE_BIND (host:port) and PIPELINE_SERVE_WORKERS, and by gunicorn's own options
on the command line (`-w 4`, `-b ...`), which win over this file.
"""

import os
import shutil
import sys

from pipeline.config import load_params
from pipeline.serving.workers import Siblings, prepare_shared_dir

_serve = load_params().serve
# Before the app (and prometheus_client) is imported: see prepare_shared_dir.
_shared, _created = prepare_shared_dir()

bind = os.environ.get("PIPELINE_SERVE_BIND") or f"{_serve.host}:{_serve.port}"
workers = int(os.environ.get("PIPELINE_SERVE_WORKERS") or _serve.workers)
worker_class = "uvicorn_worker.UvicornWorker"
# The app is built once, then the workers are forked with it: a worker starts in
# milliseconds instead of importing everything and loading the model again.
preload_app = True
# SIGTERM: stop accepting, let requests being answered finish, for up to this long, then exit.
graceful_timeout = _serve.drain_seconds
timeout = 120  # a worker silent this long is restarted
loglevel = "warning"  # the ready line below says what a person needs to know


def post_worker_init(worker) -> None:
    """Once per server, when the first worker is up: where it answers."""
    if not Siblings(_shared).first_ready():
        return
    base = "http://" + worker.cfg.bind[0]
    print(
        f"serve: ready on {base} (API docs {base}/docs, metrics {base}/metrics), "
        f"model {worker.wsgi.version}, {worker.cfg.workers} worker(s); Ctrl-C stops",
        file=sys.stdout,
        flush=True,
    )


def child_exit(server, worker) -> None:
    """A worker that exits stops counting in the gauges of live workers."""
    from prometheus_client import multiprocess

    multiprocess.mark_process_dead(worker.pid, _shared)


def on_exit(server) -> None:
    if _created:
        shutil.rmtree(_shared, ignore_errors=True)
