"""Metrics and slices computed from known predictions."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from pipeline.modeling.metrics import classification_metrics
from pipeline.modeling.slices import slice_metrics


def test_metrics_of_a_known_case():
    labels = np.array([0, 0, 1, 1])
    scores = np.array([0.1, 0.6, 0.4, 0.9])
    metrics = classification_metrics(labels, scores, threshold=0.5)
    assert metrics["roc_auc"] == pytest.approx(0.75)
    assert metrics["precision"] == pytest.approx(0.5)
    assert metrics["recall"] == pytest.approx(0.5)
    assert metrics["brier"] == pytest.approx((0.01 + 0.36 + 0.36 + 0.01) / 4)
    assert metrics["rows"] == 4 and metrics["positive_share"] == 0.5


def test_threshold_moves_precision_and_recall():
    labels = np.array([0, 0, 1, 1])
    scores = np.array([0.1, 0.6, 0.4, 0.9])
    assert classification_metrics(labels, scores, threshold=0.3)["recall"] == 1.0


def test_slices_skip_small_groups_and_put_the_worst_first():
    rng = np.random.default_rng(0)
    frame = pd.DataFrame({"region": ["north"] * 300 + ["south"] * 300 + ["west"] * 10})
    labels = rng.integers(0, 2, len(frame))
    scores = np.where(frame["region"] == "north", labels * 0.8 + 0.1, rng.random(len(frame)))
    table = slice_metrics(frame, labels, scores, columns=["region"], threshold=0.5, min_rows=200)
    assert table["value"].tolist() == ["south", "north"]
    assert table.loc[1, "roc_auc"] == 1.0


def test_missing_slice_values_are_a_slice_of_their_own():
    """A slice column with missing values (text or numbers, as parquet gives them back) has
    a "(missing)" slice instead of failing on comparing text with NaN."""
    from pipeline.data.groups import MISSING_GROUP

    rng = np.random.default_rng(0)
    region = pd.Series(["north"] * 100 + [None] * 100 + ["south"] * 100, dtype="str")
    frame = pd.DataFrame({"region": region, "floor": [1.0] * 150 + [np.nan] * 150})
    labels = rng.integers(0, 2, len(frame))
    scores = rng.random(len(frame))
    table = slice_metrics(
        frame, labels, scores, columns=["region", "floor"], threshold=0.5, min_rows=50
    )
    found = table.groupby("slice")["value"].apply(sorted).to_dict()
    assert found == {"floor": [MISSING_GROUP, "1.0"], "region": [MISSING_GROUP, "north", "south"]}
    missing = table[(table["slice"] == "region") & (table["value"] == MISSING_GROUP)]
    assert missing["rows"].tolist() == [100]
