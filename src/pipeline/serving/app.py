"""The prediction API: FastAPI over a model file loaded through the skops allow-list.

`make serve` (or `python -m pipeline.cli serve`) runs it under gunicorn with uvicorn
workers on 127.0.0.1; serving/factory.py builds it from params.yaml for any ASGI server.
"""

# No `from __future__ import annotations` here: FastAPI reads the endpoints' annotations at
# runtime, and the request model is built at runtime, from the model file.
import asyncio
import contextlib
import hashlib
import json
import logging
import math
import os
import time
import uuid
from collections.abc import AsyncIterator, Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pandera.pandas as pa
from fastapi import Depends, FastAPI, Request
from fastapi.encoders import jsonable_encoder
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from pydantic import BaseModel, Field, create_model
from sklearn.pipeline import Pipeline
from starlette.concurrency import run_in_threadpool
from starlette.datastructures import Headers
from starlette.types import ASGIApp, Receive, Scope, Send
from threadpoolctl import ThreadpoolController

from pipeline.config import Reports
from pipeline.errors import ConfigError, PipelineError
from pipeline.modeling.derived import date_columns
from pipeline.modeling.model_file import load as load_model
from pipeline.modeling.tasks import (
    MULTICLASS,
    REGRESSION,
    TaskInfo,
    class_labels,
    model_task,
    predict,
)
from pipeline.serving.admin import require_admin
from pipeline.serving.prometheus import CountRequests, ServerMetrics
from pipeline.serving.request_log import Redaction, RequestLog
from pipeline.serving.request_schema import row_model
from pipeline.serving.workers import POLL_SECONDS, Siblings

logger = logging.getLogger("pipeline.serving")


def model_categories(pipeline) -> dict[str, list[str]]:
    """The categories each categorical column had in training: the only ones the API accepts.

    A model of numbers alone has none: its categorical encoder, given no column, was never
    fitted (scikit-learn skips a transformer with no columns).
    """
    for name, encoder, columns in pipeline.named_steps["preprocess"].transformers_:
        if name == "categorical" and len(columns):
            fitted = zip(encoder.feature_names_in_, encoder.categories_, strict=True)
            return {
                str(column): [str(value) for value in values if not pd.isna(value)]
                for column, values in fitted
            }
    return {}


def model_dates(pipeline) -> list[str]:
    """The raw columns the model reads as dates (its derived columns say which)."""
    derive = pipeline.named_steps.get("derive")
    return date_columns(derive.derived or {}) if derive is not None else []


class Prediction(BaseModel):
    """A classifier's answer for one row."""

    id: str  # quote it when the outcome is known: `monitor` joins labels on it
    probability: float  # of the positive class (target 1)
    predicted: bool  # probability >= the decision threshold


class LabelledPrediction(Prediction):
    """A classifier's answer for one row, when its classes have labels (dataset.classes)."""

    label: str | int | float | bool  # the predicted class as it appears in the data


class ClassPrediction(BaseModel):
    """A multi-class model's answer for one row."""

    id: str  # quote it when the outcome is known: `monitor` joins labels on it
    predicted: str | int | float | bool  # the most likely class, as it appears in the data
    probabilities: dict[str, float]  # each class's, by label, summing to 1


class ValuePrediction(BaseModel):
    """A regressor's answer for one row."""

    id: str  # quote it when the outcome is known: `monitor` joins labels on it
    prediction: float  # the predicted value of the target


def _json_safe(value: Any) -> Any:
    """`value` with non-finite floats as text ("inf", "nan"): JSON cannot carry them."""
    if isinstance(value, float) and not math.isfinite(value):
        return str(value)
    if isinstance(value, dict):
        return {key: _json_safe(item) for key, item in value.items()}
    if isinstance(value, list | tuple):
        return [_json_safe(item) for item in value]
    return value


def _read_json(path: Path) -> Any:
    return json.loads(path.read_text()) if path.exists() else None


Rows = list[dict[str, Any]]
Scorer = Callable[[Rows], np.ndarray]


def scorer(pipeline: Pipeline) -> Scorer:
    """The model's output for JSON rows, exactly as evaluate computes it: the positive class's
    probability (`predict_proba`) or the predicted value (`predict`).

    Scored without OpenMP helper threads: hist_gbm predicts tree by tree, each tree a parallel
    region, and on a busy two-core machine every region waited for a descheduled helper (one
    row took seconds). Requests run side by side instead. The limit is per thread in OpenMP,
    so concurrent requests do not disturb each other, and scores do not depend on it.
    """
    columns = list(pipeline.feature_names_in_)
    openmp = ThreadpoolController().select(user_api="openmp")

    def score(rows: Rows) -> np.ndarray:
        with openmp.limit(limits=1):
            return predict(pipeline, pd.DataFrame(rows, columns=columns))

    return score


@dataclass(frozen=True)
class Served:
    """One loaded model and what identifies it."""

    pipeline: Any
    version: str  # the first 12 hex digits of the file's SHA-256
    file: Path
    score: Scorer = field(repr=False, compare=False)

    @property
    def inputs(self) -> tuple:
        pipeline = self.pipeline
        return list(pipeline.feature_names_in_), model_categories(pipeline), model_dates(pipeline)

    @property
    def task(self) -> TaskInfo:
        return model_task(self.pipeline)

    @property
    def answers(self) -> tuple:
        """What its answers look like: its task, and a classifier's class labels."""
        task = self.task
        named = getattr(self.pipeline, "class_labels_", None)
        return task, None if task is REGRESSION else (class_labels(self.pipeline), named)


def load_served(model_file: Path) -> Served:
    """Load through the allow-list (UntrustedModelError otherwise)."""
    version = hashlib.sha256(model_file.read_bytes()).hexdigest()[:12]
    pipeline = load_model(model_file)
    return Served(pipeline, version, model_file, scorer(pipeline))


class ModelSet:
    """The primary model and an optional A/B candidate, swapped as a whole on reload.

    A request is routed by its id, so all its rows get one version; requests already running
    keep the models they started with while a reload swaps in new ones.
    """

    def __init__(self, primary: Path, candidate: Path | None = None, candidate_share: float = 0):
        if not 0 <= candidate_share <= 1:
            raise ConfigError(f"serve.candidate_share={candidate_share} must be within 0..1")
        self.files = (primary, candidate)
        self.candidate_share = candidate_share if candidate else 0.0
        self.current = self._load()

    def _load(self) -> tuple[Served, Served | None]:
        primary, candidate = self.files
        loaded = (load_served(primary), load_served(candidate) if candidate else None)
        if loaded[1] and (loaded[1].inputs, loaded[1].answers) != (
            loaded[0].inputs,
            loaded[0].answers,
        ):
            raise ConfigError(
                f"{candidate}: its task, classes, input columns or categories differ from {primary}"
            )
        return loaded

    def reload(self) -> tuple[Served, Served | None]:
        """Load the files again; keep serving the old models if the new ones are refused."""
        fresh = self._load()
        if (fresh[0].inputs, fresh[0].answers) != (self.current[0].inputs, self.current[0].answers):
            raise ConfigError(
                "the new model's task, classes or inputs differ from the served one: "
                "restart instead"
            )
        self.current = fresh  # one reference assignment: requests see old or new, never a mix
        return fresh

    def pick(self, request_id: str) -> Served:
        primary, candidate = self.current
        if candidate and int(request_id[:8], 16) / 16**8 < self.candidate_share:
            return candidate
        return primary

    def versions(self) -> dict[str, Any]:
        primary, candidate = self.current
        return {
            "model_version": primary.version,
            "candidate_version": candidate.version if candidate else None,
            "candidate_share": self.candidate_share,
        }

    def roles(self) -> dict[str, str | None]:
        """The versions by role, as the metrics label them."""
        primary, candidate = self.current
        return {"served": primary.version, "candidate": candidate.version if candidate else None}


class LimitBody:
    """Refuse a body declared larger than the limit before reading it (plain ASGI: cheaper
    per request than a `BaseHTTPMiddleware`, which wraps every request in extra tasks)."""

    def __init__(self, app: ASGIApp, max_body_bytes: int):
        self.app, self.max_body_bytes = app, max_body_bytes

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http" and self._too_large(scope):
            detail = f"request body over {self.max_body_bytes} bytes"
            await JSONResponse({"detail": detail}, status_code=413)(scope, receive, send)
            return
        await self.app(scope, receive, send)

    def _too_large(self, scope: Scope) -> bool:
        declared = Headers(scope=scope).get("content-length")
        return declared is not None and declared.isdigit() and int(declared) > self.max_body_bytes


class Reloader:
    """Reload the model set here, and keep this worker on the generation its siblings
    announce (see serving/workers.py)."""

    def __init__(self, served: ModelSet, siblings: Siblings, metrics: ServerMetrics):
        self.served, self.siblings, self.metrics = served, siblings, metrics
        self.seen = siblings.generation()

    def reload(self) -> tuple[Served, Served | None]:
        """Load the files again; raises (and keeps the old models) when they are refused."""
        before = self.served.roles()
        try:
            fresh = self.served.reload()
        except (PipelineError, FileNotFoundError):
            self.metrics.reloads.labels(outcome="refused").inc()
            raise
        self.metrics.reloads.labels(outcome="loaded").inc()
        self.metrics.serving(self.served.roles(), before)
        return fresh

    def announce(self) -> None:
        self.seen = self.siblings.announce_reload()

    async def follow(self) -> None:
        """Poll the generation; reload on a worker thread when a sibling announced one."""
        while True:
            await asyncio.sleep(POLL_SECONDS)
            generation = self.siblings.generation()
            if generation == self.seen:
                continue
            self.seen = generation
            try:
                await run_in_threadpool(self.reload)
            except (PipelineError, FileNotFoundError) as error:
                logger.warning("worker %d kept the served model: %s", os.getpid(), error)


def build_app(
    served: ModelSet,
    *,
    threshold: float,
    max_rows: int,
    max_body_bytes: int,
    log: RequestLog,
    contract: pa.DataFrameSchema,
    api: Mapping[str, str],
    row_columns: Mapping[str, pa.Column | None] | None = None,
    redaction: Redaction | None = None,
    joined: list[str] | None = None,
    about: dict[str, Any] | None = None,
    admin_token: str | None = None,
    metrics: ServerMetrics,
    siblings: Siblings | None = None,
) -> FastAPI:
    """The API over a model set; the request schema follows the primary model's raw inputs.

    `contract` is the features contract; `row_columns` the columns of a raw row of the batch
    table with their raw contract (None: no rule), which a request may carry besides the
    model's inputs, to be logged (through `redaction`) and never read by the model; `joined`
    names the input columns featurize joined from other tables, which a client must bring
    (the docs say so). `admin_token` guards /reload (None: it is off). `siblings` connects
    the worker processes of one server.
    """
    columns, categories, dates = served.current[0].inputs
    task = served.current[0].task
    row = row_model(columns, categories, contract, api["row_name"], dates=dates, others=row_columns)
    redaction = redaction or Redaction()
    predict_request = create_model(
        "PredictRequest", rows=(list[row], Field(..., min_length=1, max_length=max_rows))
    )
    labels = None if task is REGRESSION else class_labels(served.current[0].pipeline)
    labelled = getattr(served.current[0].pipeline, "class_labels_", None) is not None
    answer_model = {
        REGRESSION: ValuePrediction,
        MULTICLASS: ClassPrediction,
    }.get(task, LabelledPrediction if labelled else Prediction)
    predict_response = create_model(
        "PredictResponse", model_version=(str, ...), predictions=(list[answer_model], ...)
    )
    description = api["description"]
    if joined:
        description += (
            f"\n\nA row holds the model's raw input columns. {', '.join(joined)} are added by "
            "featurize (joined from other tables, or computed): the client sends them too."
        )
    reloader = Reloader(served, siblings or Siblings(None), metrics)

    @contextlib.asynccontextmanager
    async def lifespan(_: FastAPI) -> AsyncIterator[None]:
        # In the worker, not where the app was built: gunicorn builds it once and forks.
        metrics.serving(served.roles(), {})
        metrics.log_bytes.set(log.size())
        follower = asyncio.create_task(reloader.follow()) if reloader.siblings.shared else None
        yield
        if follower:
            follower.cancel()

    app = FastAPI(
        title=api["title"],
        version=served.current[0].version,
        description=description,
        lifespan=lifespan,
    )
    app.add_middleware(LimitBody, max_body_bytes=max_body_bytes)

    @app.exception_handler(RequestValidationError)
    async def refuse(request: Request, error: RequestValidationError) -> JSONResponse:
        # FastAPI's own handler echoes each refused input, and an `Infinity` or `NaN` in the
        # request (Python's JSON reader accepts them) made that answer a 500, not a 422.
        detail = _json_safe(jsonable_encoder(error.errors()))
        return JSONResponse({"detail": detail}, status_code=422)

    def answer(requested: list[BaseModel]) -> dict[str, Any]:
        ids = [uuid.uuid4().hex for _ in requested]
        model = served.pick(ids[0])
        # The columns sent: the model's inputs, and whichever of the row's others came along.
        rows = [row.model_dump(by_alias=True, exclude_unset=True) for row in requested]
        scores = model.score(rows).tolist()
        outputs = [logged_output(task, p, labels) for p in scores]
        now = time.time()
        log.append(
            [
                {"id": id_, "time": now, "model_version": model.version}
                | logged_row(row, columns)
                | output
                for id_, row, output in zip(ids, redaction.apply(rows), outputs, strict=True)
            ],
            observe=metrics.logged,
        )
        # A multi-class model's score is the probability of the class it answers.
        metrics.scored(model.version, [max(p) if task is MULTICLASS else p for p in scores])
        if task is REGRESSION:
            answers = [{"id": id_, "prediction": p} for id_, p in zip(ids, scores, strict=True)]
        elif task is MULTICLASS:
            answers = [
                {"id": id_, "predicted": labels[int(np.argmax(p))]} | output
                for id_, p, output in zip(ids, scores, outputs, strict=True)
            ]
        else:
            answers = [
                {"id": id_, "probability": p, "predicted": p >= threshold}
                | ({"label": labels[int(p >= threshold)]} if labelled else {})
                for id_, p in zip(ids, scores, strict=True)
            ]
        return {"model_version": model.version, "predictions": answers}

    @app.post("/predict", response_model=predict_response)
    async def predict(request: predict_request):  # type: ignore[valid-type]
        # The model and the log file run on a worker thread, off the event loop; the answer
        # is checked and serialized here, which saves a second trip to the thread pool.
        return await run_in_threadpool(answer, request.rows)

    @app.get("/health")
    def health():
        return {"status": "ok", **served.versions(), "worker": os.getpid()}

    @app.get("/model")
    def model_info():
        return {**served.versions(), "model_file": str(served.files[0]), **(about or {})}

    @app.get("/metrics", include_in_schema=False)
    def scrape():
        return metrics.page()

    @app.post("/reload", dependencies=[Depends(require_admin(admin_token))])
    def reload():
        """Pick up a newly promoted model file without dropping a request, in every worker.
        Needs `Authorization: Bearer <PIPELINE_ADMIN_TOKEN>`."""
        try:
            reloader.reload()
        except (PipelineError, FileNotFoundError) as error:
            return JSONResponse({"detail": f"kept the served model: {error}"}, status_code=409)
        reloader.announce()
        return served.versions()

    # Outermost, so refusals (413) and errors are counted too.
    app.add_middleware(
        CountRequests, metrics=metrics, routes=frozenset(route.path for route in app.routes)
    )
    return app


def logged_output(task: TaskInfo, score: Any, labels: list | None) -> dict[str, Any]:
    """The model's output as the request log holds it: the probability of the positive class,
    the predicted value, or (multi-class) each class's probability by label."""
    if task is MULTICLASS:
        return {"probabilities": {str(label): p for label, p in zip(labels, score, strict=True)}}
    return {task.score: score}


def logged_row(row: dict[str, Any], inputs: list[str]) -> dict[str, Any]:
    """A row as the request log holds it: the model's `inputs`, and the row's other columns
    (its batch, ids ...) apart as `context`, when it carried any."""
    logged: dict[str, Any] = {"inputs": {c: row[c] for c in inputs if c in row}}
    context = {column: value for column, value in row.items() if column not in logged["inputs"]}
    return logged | ({"context": context} if context else {})


def about_workspace(params) -> dict[str, Any]:
    """What /model tells: the data the model was trained on, its params and metrics."""
    ingest = _read_json(Reports(params.paths).ingest) or {}
    return {
        "data": {
            "dataset": params.dataset.name,
            "target": params.dataset.target,
            "source": ingest.get("source"),
            "batches": ingest.get("batches"),
        },
        "params": {"model": dict(params.model), "threshold": params.evaluate.threshold},
        "metrics": _read_json(Reports(params.paths).metrics),
    }
