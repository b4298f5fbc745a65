"""Missing values and unseen categories of the newest batch, exact on every row."""

from __future__ import annotations

import pandas as pd

from pipeline.monitoring.quality import (
    data_summary,
    missing_increase,
    new_categories,
    new_category_share,
)


def test_missing_increase_is_the_change_not_the_level():
    reference = pd.DataFrame({"refund": [None, None, None, 1.0], "spend": [1.0, 2.0, 3.0, 4.0]})
    current = pd.DataFrame({"refund": [None, None, None, None], "spend": [1.0, None, 3.0, 4.0]})
    assert missing_increase(reference, current, ["refund", "spend"]) == {
        "refund": 0.25,
        "spend": 0.25,
    }


def test_new_categories_and_the_share_of_rows_holding_one():
    reference = pd.DataFrame({"plan": ["basic", "pro"], "region": ["north", "south"]})
    current = pd.DataFrame({"plan": ["basic", "team", "team", "gold"], "region": ["north"] * 4})
    unseen = new_categories(reference, current, ["plan", "region"])
    assert unseen == {"plan": ["gold", "team"]}
    assert new_category_share(current, unseen) == 0.75


def test_summary_counts_drift_over_features_and_keeps_target_apart():
    reference = pd.DataFrame(
        {"batch": ["2019"] * 2, "plan": ["basic", "pro"], "spend": [1.0, 2.0], "churned": [0, 1]}
    )
    current = pd.DataFrame(
        {"batch": ["2024"] * 2, "plan": ["basic"] * 2, "spend": [None, 9.0], "churned": [1, 1]}
    )
    drift = {
        "plan": {"method": "jensenshannon", "distance": 0.05, "drifted": False},
        "spend": {"method": "wasserstein", "distance": 2.0, "drifted": True},
        "churned": {"method": "jensenshannon", "distance": 0.3, "drifted": True},
    }
    summary, details = data_summary(
        reference, current, drift, categorical=["plan"], numeric=["spend"], target="churned"
    )
    assert summary["drift"] == {
        "feature_count": 2,
        "drifted_count": 1,
        "drifted_share": 0.5,
        "drifted_columns": ["spend"],
        "target_distance": 0.3,
    }
    assert summary["quality"]["worst_missing_column"] == "spend"
    assert summary["quality"]["worst_missing_increase"] == 0.5
    assert summary["reference"] == {"batches": ["2019"], "rows": 2}
    assert details["spend"]["missing_current"] == 0.5
    assert set(details) == {"plan", "spend", "churned"}
