"""The prediction API: FastAPI over a model file loaded through the skops allow-list.

`make serve` (or `python -m pipeline.cli serve`) runs it under uvicorn on 127.0.0.1.
"""

# No `from __future__ import annotations` here: FastAPI reads the endpoints' annotations at
# runtime, and the request model is built at runtime, from the model file.
import hashlib
import json
import time
import uuid
from pathlib import Path
from typing import Any

import pandas as pd
from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse
from pydantic import BaseModel, Field, create_model

from pipeline import model as models
from pipeline.request_log import RequestLog
from pipeline.request_schema import row_model


def model_categories(pipeline) -> dict[str, list[str]]:
    """The categories each categorical column had in training: the only ones the API accepts."""
    encoder = pipeline.named_steps["preprocess"].named_transformers_["categorical"]
    return {
        column: [str(value) for value in values if not pd.isna(value)]
        for column, values in zip(encoder.feature_names_in_, encoder.categories_, strict=True)
    }


class Prediction(BaseModel):
    id: str  # quote it when the outcome is known: `monitor` joins labels on it
    probability: float
    late: bool


def _read_json(path: Path) -> Any:
    return json.loads(path.read_text()) if path.exists() else None


def create_app(
    model_file: Path,
    *,
    threshold: float,
    max_rows: int,
    max_body_bytes: int,
    log: RequestLog,
    about: dict[str, Any] | None = None,
) -> FastAPI:
    """An app serving one model file; refuses (UntrustedModelError) a file off the allow-list."""
    pipeline = models.load(model_file)
    columns = list(pipeline.feature_names_in_)
    flight = row_model(columns, model_categories(pipeline))
    version = hashlib.sha256(model_file.read_bytes()).hexdigest()[:12]
    predict_request = create_model(
        "PredictRequest", rows=(list[flight], Field(..., min_length=1, max_length=max_rows))
    )
    predict_response = create_model(
        "PredictResponse", model_version=(str, ...), predictions=(list[Prediction], ...)
    )
    app = FastAPI(
        title="Flight delay prediction",
        version=version,
        description="Probability that a New York departure arrives more than 15 minutes late.",
    )

    @app.middleware("http")
    async def limit_body(request: Request, call_next):
        declared = request.headers.get("content-length")
        if declared is not None and declared.isdigit() and int(declared) > max_body_bytes:
            return JSONResponse(
                {"detail": f"request body over {max_body_bytes} bytes"}, status_code=413
            )
        return await call_next(request)

    @app.post("/predict", response_model=predict_response)
    def predict(request: predict_request):  # type: ignore[valid-type]
        rows = [row.model_dump() for row in request.rows]
        frame = pd.DataFrame(rows, columns=columns)
        scores = [float(p) for p in pipeline.predict_proba(frame)[:, 1]]
        ids = [uuid.uuid4().hex for _ in rows]
        now = time.time()
        log.append(
            [
                {"id": id_, "time": now, "model_version": version, "inputs": row, "probability": p}
                for id_, row, p in zip(ids, rows, scores, strict=True)
            ]
        )
        return {
            "model_version": version,
            "predictions": [
                {"id": id_, "probability": p, "late": p >= threshold}
                for id_, p in zip(ids, scores, strict=True)
            ],
        }

    @app.get("/health")
    def health():
        return {"status": "ok", "model_version": version}

    @app.get("/model")
    def model_info():
        return {"model_version": version, "model_file": str(model_file), **(about or {})}

    return app


def about_workspace(params) -> dict[str, Any]:
    """What /model tells: the data the model was trained on, its params and metrics."""
    ingest = _read_json(Path(params.paths.validation) / "ingest.json") or {}
    return {
        "data": {"source": ingest.get("source"), "batches": ingest.get("batches")},
        "params": {"model": dict(params.model), "threshold": params.evaluate.threshold},
        "metrics": _read_json(Path(params.paths.evaluation) / "metrics.json"),
    }
