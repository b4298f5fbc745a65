"""`make serve`: which model file to serve, and the server that serves it."""

from __future__ import annotations

import sys
from pathlib import Path


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


def joined_columns(dataset) -> list[str]:
    """Model inputs that featurize joined from other tables: not in the batch table's contract."""
    from pipeline.contracts.dataset import load_contracts
    from pipeline.modeling.inputs import input_columns

    if len(dataset.tables) == 1:
        return []
    raw = load_contracts(dataset).raw[dataset.batch.table]
    inputs = input_columns(
        list(dataset.features.categorical), list(dataset.features.numeric), dataset.derived
    )
    return [column for column in inputs if column not in raw.columns]


def serve_command(
    model: Path | None,
    port: int | None,
    request_log: Path | None,
    candidate: Path | None,
    candidate_share: float | None,
) -> int:
    """Serve until interrupted; exit 1 with the reason when the model cannot be served."""
    import uvicorn

    from pipeline.config import load_params
    from pipeline.contracts.dataset import load_contracts
    from pipeline.errors import PipelineError
    from pipeline.serving.app import ModelSet, about_workspace, create_app
    from pipeline.serving.request_log import RequestLog

    params = load_params()
    cfg = params.serve
    candidate = candidate or (Path(cfg.candidate) if cfg.candidate else None)
    share = cfg.candidate_share if candidate_share is None else candidate_share
    try:
        served = ModelSet(serving_model(model, cfg, params.paths.model), candidate, share)
        app = create_app(
            served,
            threshold=params.evaluate.threshold,
            max_rows=cfg.max_rows,
            max_body_bytes=cfg.max_body_bytes,
            log=RequestLog(request_log or cfg.request_log, cfg.rotate_bytes),
            contract=load_contracts(params.dataset).features,
            api=params.dataset.api,
            joined=joined_columns(params.dataset),
            about=about_workspace(params),
        )
    except (PipelineError, FileNotFoundError) as error:
        print(f"serve: {error}", file=sys.stderr)
        return 1
    uvicorn.run(app, host=cfg.host, port=port or cfg.port, log_level="warning")
    return 0
