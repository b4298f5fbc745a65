"""The app factory: the prediction API built from params.yaml, for any ASGI server.

    gunicorn --config python:pipeline.serving.gunicorn_conf 'pipeline.serving.factory:create_app()'
    uvicorn pipeline.serving.factory:create_app --factory --workers 2

Each worker process calls it. What the command line cannot pass to a factory comes from
the environment (`make serve` sets these from its options):

    PIPELINE_SERVE_MODEL            the model file (default: serve.model, else paths.model)
    PIPELINE_SERVE_REQUEST_LOG      default: serve.request_log
    PIPELINE_SERVE_CANDIDATE        A/B: a second model file (default: serve.candidate)
    PIPELINE_SERVE_CANDIDATE_SHARE  its share of requests (default: serve.candidate_share)
    PIPELINE_ADMIN_TOKEN            turns /reload on (see serving/admin.py)
    PROMETHEUS_MULTIPROC_DIR        shared by the workers of one server (metrics, reloads)
"""

from __future__ import annotations

import logging
import multiprocessing
import os
from pathlib import Path

import pandas as pd
import pandera.pandas as pa
from fastapi import FastAPI

from pipeline.config import load_params
from pipeline.contracts.dataset import DatasetContracts, load_contracts
from pipeline.modeling.tasks import REGRESSION
from pipeline.serving.admin import admin_token
from pipeline.serving.app import ModelSet, about_workspace, build_app
from pipeline.serving.prometheus import PROBABILITY_BUCKETS, ServerMetrics
from pipeline.serving.request_log import Redaction, RequestLog
from pipeline.serving.workers import Siblings, shared_dir

logger = logging.getLogger("pipeline.serving")


def joined_columns(dataset) -> list[str]:
    """Model inputs that featurize joined from other tables: not in the batch table's contract."""
    from pipeline.modeling.inputs import input_columns

    if len(dataset.tables) == 1:
        return []
    raw = load_contracts(dataset).raw[dataset.batch.table]
    inputs = input_columns(
        list(dataset.features.categorical), list(dataset.features.numeric), dataset.derived
    )
    return [column for column in inputs if column not in raw.columns]


def row_columns(dataset, contracts: DatasetContracts) -> dict[str, pa.Column | None]:
    """The columns a raw row of the batch table may hold, as the client's file has them: its
    raw contract's, and the batch and id columns even where no contract names them (None)."""
    raw = dict(contracts.raw[dataset.batch.table].columns)
    named = [dataset.batch.column, *dataset.id_columns]
    return raw | {column: None for column in named if column not in raw}


def redaction(privacy) -> Redaction:
    """privacy's drop and hash lists, for the request log; the salt ingest hashes with."""
    from pipeline.secrets import secret

    hashed = frozenset(privacy.hash)
    salt = secret(privacy.salt_env) if hashed else None
    if hashed and not salt:
        logger.warning(
            "$%s is not set: the request log leaves out %s (privacy.hash)",
            privacy.salt_env,
            ", ".join(sorted(hashed)),
        )
    return Redaction(frozenset(privacy.drop), hashed, salt or None)


def score_buckets(task, configured, predictions: Path) -> tuple[float, ...] | None:
    """serve.score_buckets; else twenty bins of probability; for a regressor, the deciles of
    what evaluate predicted (when its file is here); else prometheus-client's defaults."""
    if configured:
        return tuple(sorted(float(bound) for bound in configured))
    if task is not REGRESSION:
        return PROBABILITY_BUCKETS
    if not predictions.exists():
        return None
    predicted = pd.read_parquet(predictions, columns=[task.score])[task.score]
    return tuple(sorted({float(predicted.quantile(step / 10)) for step in range(1, 10)}))


def model_set(params) -> ModelSet:
    cfg = params.serve
    env = os.environ
    primary = Path(env.get("PIPELINE_SERVE_MODEL") or cfg.model or params.paths.model)
    candidate = env.get("PIPELINE_SERVE_CANDIDATE") or cfg.candidate
    share = env.get("PIPELINE_SERVE_CANDIDATE_SHARE")
    return ModelSet(
        primary,
        Path(candidate) if candidate else None,
        float(share) if share else cfg.candidate_share,
    )


def create_app() -> FastAPI:
    """The API for this repository's params.yaml (PipelineError if it cannot be served)."""
    params = load_params()
    cfg = params.serve
    served = model_set(params)
    if not shared_dir() and multiprocessing.parent_process() is not None:
        logger.warning(
            "PROMETHEUS_MULTIPROC_DIR is not set: /metrics counts this worker only and a "
            "reload reaches this worker only (see docs/serving.md)"
        )
    task = served.current[0].task
    predictions = Path(params.paths.evaluation) / "predictions.parquet"
    buckets = score_buckets(task, cfg.score_buckets, predictions)
    contracts = load_contracts(params.dataset)
    return build_app(
        served,
        threshold=params.evaluate.threshold,
        max_rows=cfg.max_rows,
        max_body_bytes=cfg.max_body_bytes,
        log=RequestLog(
            os.environ.get("PIPELINE_SERVE_REQUEST_LOG") or cfg.request_log, cfg.rotate_bytes
        ),
        contract=contracts.features,
        api=params.dataset.api,
        row_columns=row_columns(params.dataset, contracts),
        redaction=redaction(params.privacy),
        joined=joined_columns(params.dataset),
        about=about_workspace(params),
        admin_token=admin_token(),
        metrics=ServerMetrics(buckets),
        siblings=Siblings(shared_dir()),
    )
