"""`pipeline serve`: the model over HTTP with gunicorn (see serving/)."""

from __future__ import annotations

import sys
from pathlib import Path

from pipeline.config import load_params
from pipeline.errors import PipelineError
from pipeline.lifecycle import registry
from pipeline.serving import server


def run(
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
    params = load_params()
    cfg = params.serve
    try:
        served, source = serving_model(model, cfg, params.paths.model)
        if source:
            print(f"serve: {source}", flush=True)
        app = server.build(
            {
                "PIPELINE_SERVE_MODEL": served,
                "PIPELINE_SERVE_REQUEST_LOG": request_log,
                "PIPELINE_SERVE_CANDIDATE": candidate,
                "PIPELINE_SERVE_CANDIDATE_SHARE": candidate_share,
                "PIPELINE_SERVE_BIND": f"{host or cfg.host}:{port or cfg.port}",
                "PIPELINE_SERVE_WORKERS": workers,
            }
        )
    except PipelineError as error:
        print(f"serve: {error}", file=sys.stderr)
        return 1
    sys.stdout.flush()
    server.run(app)
    return 0


def serving_model(given: Path | None, cfg, workspace_model: str) -> tuple[Path, str | None]:
    """--model, else serve.model, else the registry's serve.stage version, else the workspace's;
    with where it came from when the registry was asked."""
    if given or cfg.model:
        return Path(given or cfg.model), None
    if cfg.stage:
        fetched = registry.FETCHED_DIR / f"{cfg.stage}.skops"
        version = registry.fetch_stage(cfg.stage, fetched)
        if version:
            return fetched, f"{registry.artifact_name()} {version} (stage {cfg.stage})"
    return Path(workspace_model), f"no version in stage {cfg.stage!r}: serving the workspace model"
