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
    reference = pd.DataFrame({"gust": [None, None, None, 1.0], "temp": [1.0, 2.0, 3.0, 4.0]})
    current = pd.DataFrame({"gust": [None, None, None, None], "temp": [1.0, None, 3.0, 4.0]})
    assert missing_increase(reference, current, ["gust", "temp"]) == {"gust": 0.25, "temp": 0.25}


def test_new_categories_and_the_share_of_rows_holding_one():
    reference = pd.DataFrame({"dest": ["BOS", "LAX"], "origin": ["JFK", "EWR"]})
    current = pd.DataFrame({"dest": ["BOS", "TVC", "TVC", "SFO"], "origin": ["JFK"] * 4})
    unseen = new_categories(reference, current, ["dest", "origin"])
    assert unseen == {"dest": ["SFO", "TVC"]}
    assert new_category_share(current, unseen) == 0.75


def test_summary_counts_drift_over_features_and_keeps_target_apart():
    reference = pd.DataFrame(
        {"batch": ["2013-01"] * 2, "dest": ["BOS", "LAX"], "temp": [1.0, 2.0], "late": [0, 1]}
    )
    current = pd.DataFrame(
        {"batch": ["2013-07"] * 2, "dest": ["BOS", "BOS"], "temp": [None, 9.0], "late": [1, 1]}
    )
    drift = {
        "dest": {"method": "jensenshannon", "distance": 0.05, "drifted": False},
        "temp": {"method": "wasserstein", "distance": 2.0, "drifted": True},
        "late": {"method": "jensenshannon", "distance": 0.3, "drifted": True},
    }
    summary, details = data_summary(
        reference, current, drift, categorical=["dest"], numeric=["temp"], target="late"
    )
    assert summary["drift"] == {
        "feature_count": 2,
        "drifted_count": 1,
        "drifted_share": 0.5,
        "drifted_columns": ["temp"],
        "target_distance": 0.3,
    }
    assert summary["quality"]["worst_missing_column"] == "temp"
    assert summary["quality"]["worst_missing_increase"] == 0.5
    assert summary["reference"] == {"batches": ["2013-01"], "rows": 2}
    assert details["temp"]["missing_current"] == 0.5
    assert set(details) == {"dest", "temp", "late"}
