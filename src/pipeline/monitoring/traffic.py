"""Monitoring of served traffic: the request log against the training window, with the gate.

The request log is read back as a batch of "current" rows; labels that arrive later (a JSON
line per prediction id: {"id": ..., <target>: 0 or 1, the class as it appears in the data, or
the value}) are joined to score the live model.
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd

from pipeline.data.batches import BATCH_COLUMN
from pipeline.errors import PipelineError
from pipeline.modeling.metrics import calibration_error
from pipeline.modeling.tasks import (
    CLASSIFICATION,
    TaskInfo,
    measure,
    probability_columns,
    scores_of,
)


def read_jsonl(files: list[Path]) -> list[dict]:
    records = []
    for path in files:
        for number, line in enumerate(path.read_text().splitlines(), start=1):
            if not line.strip():
                continue
            try:
                records.append(json.loads(line))
            except json.JSONDecodeError as error:
                raise PipelineError(f"{path}:{number}: not a JSON line ({error})") from error
    return records


def traffic_frame(
    records: list[dict],
    columns: list[str],
    score: str = "probability",
    classes: list | None = None,
) -> pd.DataFrame:
    """One row per served prediction: its inputs, id, score, and the day as its batch. A
    multi-class model's (`classes`): each class's probability, as evaluate's columns."""
    if not records:
        raise PipelineError("the request log holds no predictions yet")
    frame = pd.DataFrame([record["inputs"] for record in records]).reindex(columns=columns)
    frame["id"] = [record["id"] for record in records]
    if classes is None:
        frame[score] = [record[score] for record in records]
    else:
        for column, label in zip(probability_columns(len(classes)), classes, strict=True):
            frame[column] = [record["probabilities"][str(label)] for record in records]
    days = pd.to_datetime([record["time"] for record in records], unit="s", utc=True)
    frame[BATCH_COLUMN] = days.strftime("%Y-%m-%d")
    return frame


def join_labels(traffic: pd.DataFrame, labels: list[dict], target: str) -> pd.DataFrame:
    """Traffic with the labels known so far (missing where none arrived yet)."""
    known = pd.DataFrame(labels, columns=["id", target]).drop_duplicates("id", keep="last")
    return traffic.merge(known, on="id", how="left")


def live_model_summary(
    traffic: pd.DataFrame,
    holdout: dict,
    threshold: float,
    target: str,
    task: TaskInfo = CLASSIFICATION,
    classes: list | None = None,
) -> dict:
    """model.json's shape for live traffic: measured only where labels are in. With `classes`
    (dataset.classes), a label is a class as it appears in the data."""
    from pipeline.data.feature_table import encode

    labelled = traffic[traffic[target].notna()] if target in traffic else traffic.iloc[:0]
    kind = float if task.name == "regression" else int
    if classes is not None and len(labelled):
        labels = encode(labelled[target], classes or []).to_numpy()
    else:
        labels = labelled[target].to_numpy(dtype=kind) if len(labelled) else np.array([], kind)
    # ROC AUC needs both classes; R² needs two rows.
    if len(np.unique(labels)) < 2:
        current = {"rows": len(labelled), task.primary: None}
    else:
        scores = scores_of(task, labelled)
        current = measure(task, labels, scores, threshold, classes)
        if task is CLASSIFICATION:
            current["calibration_error"] = calibration_error(labels, scores)
    return {"holdout": holdout, "current": current}
