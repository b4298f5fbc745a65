"""Served traffic read back as a batch: inputs, scores, the day as its batch, and the labels
that arrived later, named by the dataset's target."""

from __future__ import annotations

import pytest

from pipeline.errors import PipelineError
from pipeline.monitoring.traffic import join_labels, live_model_summary, traffic_frame

INPUTS = ["region", "plan", "tenure_months"]
DAY = 1_718_000_000  # 2024-06-10 (UTC)


def records(count: int) -> list[dict]:
    return [
        {
            "id": f"p{index}",
            "time": DAY + index,
            "inputs": {"region": "north", "plan": "pro", "tenure_months": index, "extra": 1},
            "probability": index / count,
        }
        for index in range(count)
    ]


def test_the_request_log_becomes_one_row_per_prediction_with_the_day_as_batch():
    traffic = traffic_frame(records(4), INPUTS)
    assert list(traffic.columns) == [*INPUTS, "id", "probability", "batch"]
    assert traffic["batch"].unique().tolist() == ["2024-06-10"]
    assert traffic["tenure_months"].tolist() == [0, 1, 2, 3]
    with pytest.raises(PipelineError, match="no predictions yet"):
        traffic_frame([], INPUTS)


def test_labels_join_by_prediction_id_and_the_last_one_wins():
    traffic = traffic_frame(records(4), INPUTS)
    labels = [{"id": "p1", "churned": 0}, {"id": "p2", "churned": 0}, {"id": "p2", "churned": 1}]
    joined = join_labels(traffic, labels, "churned")
    assert len(joined) == 4
    assert joined["churned"].tolist()[1:3] == [0, 1]
    assert joined["churned"].isna().tolist() == [True, False, False, True]


def test_the_live_model_is_measured_only_where_both_classes_have_labels():
    traffic = traffic_frame(records(6), INPUTS)
    holdout = {"roc_auc": 0.8}
    one_class = join_labels(traffic, [{"id": "p1", "churned": 1}], "churned")
    summary = live_model_summary(one_class, holdout, 0.5, "churned")
    assert summary == {"holdout": holdout, "current": {"rows": 1, "roc_auc": None}}
    assert live_model_summary(traffic, holdout, 0.5, "churned")["current"]["rows"] == 0
    labels = [{"id": f"p{i}", "churned": int(i >= 3)} for i in range(6)]
    current = live_model_summary(join_labels(traffic, labels, "churned"), holdout, 0.5, "churned")[
        "current"
    ]
    assert current["rows"] == 6 and current["roc_auc"] == 1.0
    assert current["positive_share"] == 0.5 and "calibration_error" in current
