"""Monitoring of served traffic: the request log against the training window, with the gate.

The request log is read back as a batch of "current" rows; labels that arrive later (a JSON
line per prediction id: {"id": ..., "is_late": 0 or 1}) are joined to score the live model.
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd

from pipeline.errors import PipelineError
from pipeline.evaluate import calibration_error, classification_metrics
from pipeline.features import TARGET
from pipeline.sources import BATCH_COLUMN


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


def traffic_frame(records: list[dict], columns: list[str]) -> pd.DataFrame:
    """One row per served prediction: its inputs, id, probability, and the day as its batch."""
    if not records:
        raise PipelineError("the request log holds no predictions yet")
    frame = pd.DataFrame([record["inputs"] for record in records]).reindex(columns=columns)
    frame["id"] = [record["id"] for record in records]
    frame["probability"] = [record["probability"] for record in records]
    days = pd.to_datetime([record["time"] for record in records], unit="s", utc=True)
    frame[BATCH_COLUMN] = days.strftime("%Y-%m-%d")
    return frame


def join_labels(traffic: pd.DataFrame, labels: list[dict]) -> pd.DataFrame:
    """Traffic with the labels known so far (missing where none arrived yet)."""
    known = pd.DataFrame(labels, columns=["id", TARGET]).drop_duplicates("id", keep="last")
    return traffic.merge(known, on="id", how="left")


def live_model_summary(traffic: pd.DataFrame, holdout: dict, threshold: float) -> dict:
    """model.json's shape for live traffic: measured only where labels are in."""
    labelled = traffic[traffic[TARGET].notna()] if TARGET in traffic else traffic.iloc[:0]
    labels = labelled[TARGET].to_numpy(dtype=int) if len(labelled) else np.array([], dtype=int)
    if len(np.unique(labels)) < 2:
        current = {"rows": len(labelled), "roc_auc": None}
    else:
        scores = labelled["probability"].to_numpy()
        current = {
            **classification_metrics(labels, scores, threshold),
            "calibration_error": calibration_error(labels, scores),
        }
    return {"holdout": holdout, "current": current}
