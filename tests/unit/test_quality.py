"""Missing values and unseen categories of the newest batch, exact on every row."""

from __future__ import annotations

import numpy as np
import pandas as pd
from helpers import write_parts

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


def whole_frame_summary(reference: pd.DataFrame, current: pd.DataFrame, features, categorical):
    """The summary's counts as the data report computed them on whole frames, written out
    here as it did: missing shares, unseen categories as text, the rows holding one."""
    missing = {
        side: {c: float(frame[c].isna().mean()) for c in features}
        for side, frame in (("reference", reference), ("current", current))
    }
    unseen = {}
    for column in categorical:
        seen = set(reference[column].dropna().astype(str).unique())
        new = sorted(set(current[column].dropna().astype(str).unique()) - seen)
        if new:
            unseen[column] = new
    hit = pd.Series(False, index=current.index)
    for column, values in unseen.items():
        hit |= current[column].astype(str).isin(values)
    return missing, unseen, float(hit.mean())


def stored_sides(tmp_path, reference: pd.DataFrame, current: pd.DataFrame, part_rows: int):
    """Both sides as the Dask engine writes them (a folder of parts; a part without a
    missing floor written as integers), read 16 rows at a time."""
    from pipeline.data.tables import StoredTable

    tables = []
    for name, frame in (("reference", reference), ("current", current)):
        folder = write_parts(frame, tmp_path / f"{name}.parquet", part_rows, "floor")
        tables.append(StoredTable([folder], list(frame.columns), batch_rows=16))
    return tables


def test_the_summary_counted_batch_by_batch_is_the_whole_frames_summary(tmp_path):
    from pipeline.monitoring.quality import Counts, summarize

    rng = np.random.default_rng(3)

    def rows(count, batches, plans, gaps):
        floor = rng.integers(0, 4, count).astype(float)
        floor[gaps] = np.nan  # an integer column with missing values in some parts only
        return pd.DataFrame(
            {
                "batch": np.repeat(batches, count // len(batches)),
                "plan": rng.choice(plans, count),
                "floor": floor,
                "spend": np.where(rng.random(count) < 0.2, np.nan, rng.normal(size=count)),
                "churned": rng.integers(0, 2, count),
            }
        )

    reference = rows(240, ["2019", "2020", "2021"], ["basic", "pro"], [10])
    reference.loc[230:, "plan"] = "team"  # a category only the last part of the reference has
    # One missing floor in the newest rows' last part: whole, every floor reads "3.0" as in
    # the reference, though the first part alone reads "3": no floor is new.
    current = rows(90, ["2022"], ["basic", "pro", "team", "gold"], [85])
    features, categorical = ["plan", "floor", "spend"], ["plan", "floor"]
    drift = {c: {"method": "m", "distance": 0.0, "drifted": False} for c in features}

    before, after = stored_sides(tmp_path, reference, current, part_rows=50)
    counted = Counts.of(before.batches(), features, categorical)
    counted_newest = Counts.of(after.batches(), features, categorical, known=counted.categories)
    streamed, details = summarize(counted, counted_newest, drift, target="churned")

    whole_reference = pd.read_parquet(tmp_path / "reference.parquet")
    whole_current = pd.read_parquet(tmp_path / "current.parquet")
    missing, expected_unseen, share = whole_frame_summary(
        whole_reference, whole_current, features, categorical
    )
    assert streamed["quality"]["new_categories"] == expected_unseen == {"plan": ["gold"]}
    assert streamed["quality"]["new_category_share"] == round(share, 6) > 0
    assert {c: d["missing_current"] for c, d in details.items()} == {
        c: round(v, 6) for c, v in missing["current"].items()
    }
    assert {c: d["missing_reference"] for c, d in details.items()} == {
        c: round(v, 6) for c, v in missing["reference"].items()
    }
    assert streamed["reference"] == {"batches": ["2019", "2020", "2021"], "rows": 240}
    whole, _ = data_summary(
        whole_reference, whole_current, drift, categorical=categorical, numeric=["spend"],
        target="churned",
    )  # fmt: skip
    assert streamed == whole
