"""`make serve`: which model file to serve, and the server that serves it."""

from __future__ import annotations

import os
import shutil
import sys
from pathlib import Path

from gunicorn.app.base import Application

from pipeline.serving.workers import prepare_shared_dir

GUNICORN_CONFIG = "python:pipeline.serving.gunicorn_conf"
APP = "pipeline.serving.factory:create_app()"


def serving_model(given: Path | None, cfg, workspace_model: str) -> Path:
    """--model, else serve.model, else the registry's serve.stage version, else the workspace's."""
    from pipeline.lifecycle import registry

    if given or cfg.model:
        return Path(given or cfg.model)
    if cfg.stage:
        fetched = Path("models/serving") / f"{cfg.stage}.skops"
        version = registry.fetch_stage(cfg.stage, fetched)
        if version:
            print(f"serve: {registry.artifact_name()} {version} (stage {cfg.stage})", flush=True)
            return fetched
    print(f"serve: no version in stage {cfg.stage!r}: serving the workspace model", flush=True)
    return Path(workspace_model)


def serve_command(
    model: Path | None,
    host: str | None,
    port: int | None,
    workers: int | None,
    request_log: Path | None,
    candidate: Path | None,
    candidate_share: float | None,
) -> int:
    """Serve until stopped; exit 1 with the reason when the model cannot be served, before
    any worker starts."""
    from pipeline.config import load_params
    from pipeline.errors import PipelineError

    params = load_params()
    cfg = params.serve
    settings = {
        "PIPELINE_SERVE_MODEL": serving_model(model, cfg, params.paths.model),
        "PIPELINE_SERVE_REQUEST_LOG": request_log,
        "PIPELINE_SERVE_CANDIDATE": candidate,
        "PIPELINE_SERVE_CANDIDATE_SHARE": candidate_share,
        "PIPELINE_SERVE_BIND": f"{host or cfg.host}:{port or cfg.port}",
        "PIPELINE_SERVE_WORKERS": workers,
    }
    os.environ.update({name: str(value) for name, value in settings.items() if value is not None})
    shared, created = prepare_shared_dir()
    try:
        # Built here, before gunicorn starts: a model that cannot be served is one clear
        # message and exit code, not a worker that fails to boot.
        from pipeline.serving.factory import create_app

        app = create_app()
    except (PipelineError, FileNotFoundError) as error:
        print(f"serve: {error}", file=sys.stderr)
        if created:
            shutil.rmtree(shared, ignore_errors=True)
        return 1
    sys.stdout.flush()
    Gunicorn(app).run()  # the same settings as `gunicorn --config GUNICORN_CONFIG APP`
    return 0


class Gunicorn(Application):
    """gunicorn in this process, with the gunicorn config and an app already built."""

    def __init__(self, app):
        self.application = app
        super().__init__()

    def load_config(self) -> None:
        self.load_config_from_module_name_or_filename(GUNICORN_CONFIG)

    def load(self):
        return self.application
