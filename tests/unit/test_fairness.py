"""Fairness across groups: a planted gap is found and named, no gap passes, small groups are
never judged; partial dependence and the data's composition by group."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from helpers import compose

from pipeline.data.groups import MISSING_GROUP
from pipeline.modeling.fairness import column_fairness, fairness
from pipeline.modeling.tasks import CLASSIFICATION, REGRESSION
from pipeline.monitoring import gate
from pipeline.monitoring.composition import composition

# The fixture dataset's limits: 0.2 for each classification disparity.
LIMITS = compose().dataset.gate


def scored_groups(sizes: dict[str, int], seed: int = 0) -> tuple[pd.Series, np.ndarray, np.ndarray]:
    """Groups of the given sizes whose labels a fixed model scores equally well: each row's
    score is its label plus the same noise, whatever its group."""
    rng = np.random.default_rng(seed)
    groups = pd.Series([name for name, n in sizes.items() for _ in range(n)])
    labels = rng.integers(0, 2, len(groups)).astype(float)
    scores = np.clip(0.25 + 0.5 * labels + rng.normal(0, 0.2, len(groups)), 0, 1)
    return groups, labels, scores


def judge(groups, labels, scores, min_rows=100, task=CLASSIFICATION):
    found = column_fairness(groups, labels, scores, task=task, threshold=0.5, min_rows=min_rows)
    return found, gate.fairness_checks({"current": {"region": found}}, LIMITS, task.name)


def test_groups_scored_alike_pass_every_check():
    found, checks = judge(*scored_groups({"north": 400, "south": 400, "east": 400}))
    assert found["judged"] == ["east", "north", "south"] and found["too_small"] == []
    assert [check.name for check in checks] == [
        "demographic parity difference across region",
        "equalized odds difference across region",
        "recall gap across region",
        "precision gap across region",
    ]
    assert all(check.passed for check in checks), [check.describe() for check in checks]
    assert all(check.value < 0.1 for check in checks)


def test_a_group_with_flipped_labels_fails_and_is_named():
    groups, labels, scores = scored_groups({"north": 400, "south": 400, "east": 400})
    south = (groups == "south").to_numpy()
    labels[south] = 1 - labels[south]  # the model is now wrong on almost every south row
    found, checks = judge(groups, labels, scores)
    failed = {check.name: check for check in checks if not check.passed}
    assert set(failed) == {
        "equalized odds difference across region",
        "recall gap across region",
        "precision gap across region",
    }
    for check in failed.values():
        assert "worst group south" in check.describe()
        assert check.value > 0.7
    recall = next(group for group in found["groups"] if group["group"] == "south")["recall"]
    assert f"recall {recall:.3f}" in failed["recall gap across region"].describe()
    # Predictions did not change, so the share predicted positive did not either.
    parity = next(check for check in checks if check.name.startswith("demographic"))
    assert parity.passed


def test_a_group_too_small_is_reported_and_never_judged():
    groups, labels, scores = scored_groups({"north": 400, "south": 400, "west": 60})
    west = (groups == "west").to_numpy()
    labels[west] = 1 - labels[west]  # a gap as large as it gets, in a group too small to judge
    found, checks = judge(groups, labels, scores, min_rows=100)
    assert found["too_small"] == ["west"] and found["judged"] == ["north", "south"]
    assert all(check.passed for check in checks)
    assert all("too small to judge: west" in check.describe() for check in checks)
    assert all("worst group west" not in check.describe() for check in checks)
    west_row = next(group for group in found["groups"] if group["group"] == "west")
    assert west_row == {"group": "west", "rows": 60, "judged": False}


def test_fewer_than_two_judged_groups_is_not_measured():
    _, checks = judge(*scored_groups({"north": 400, "west": 60}), min_rows=100)
    assert all(check.value is None and check.passed for check in checks)
    assert all(
        check.describe().endswith(
            "not measured (fewer than two groups of at least 100 rows; too small to judge: west)"
        )
        for check in checks
    ), [check.describe() for check in checks]


def test_a_batch_without_labels_is_judged_only_on_what_it_was_predicted():
    groups, _, scores = scored_groups({"north": 400, "east": 400, "south": 400})
    scores[(groups == "south").to_numpy()] = 0.9  # every south row predicted positive
    found, checks = judge(groups, np.full(len(groups), np.nan), scores)
    parity, *rest = checks
    assert not parity.passed and "worst group south: selection rate 1.000" in parity.describe()
    assert all(check.describe().endswith("not measured (no labels yet)") for check in rest)
    south = next(group for group in found["groups"] if group["group"] == "south")
    assert set(south) == {"group", "rows", "judged", "selection_rate"}


def test_missing_group_values_are_a_group_of_their_own():
    groups, labels, scores = scored_groups({"north": 300, "south": 300})
    groups = groups.astype(object)
    groups[:150] = None
    found, _ = judge(groups, labels, scores)
    assert MISSING_GROUP in found["judged"]


def test_missing_values_of_a_text_column_are_a_group_in_fairness_and_composition():
    """As parquet gives a text column back: pandas' string dtype, missing values as NaN."""
    groups, labels, scores = scored_groups({"north": 300, "south": 300})
    groups = groups.astype("str").where(np.arange(len(groups)) % 4 != 0)
    found, _ = judge(groups, labels, scores)
    assert found["judged"] == sorted([MISSING_GROUP, "north", "south"])
    assert found["measures"]["demographic_parity_difference"]["value"] is not None
    frame = pd.DataFrame({"region": groups, "y": labels})
    shares = composition(frame, frame.iloc[:100], columns=["region"], target="y")["region"]
    assert {row["group"]: row["reference_rows"] for row in shares} == {
        "north": 225,
        "south": 225,
        MISSING_GROUP: 150,
    }


def test_regression_gaps_name_the_group_with_the_largest_error():
    rng = np.random.default_rng(1)
    groups = pd.Series(["a"] * 300 + ["b"] * 300 + ["c"] * 300)
    labels = rng.normal(50, 10, len(groups))
    errors = np.where(groups == "c", 6.0, 1.0) * rng.normal(0, 1, len(groups))
    found = column_fairness(
        groups,
        labels,
        labels + errors + np.where(groups == "c", 3.0, 0.0),
        task=REGRESSION,
        threshold=0.5,
        min_rows=100,
    )
    mae = found["measures"]["mae_gap"]
    assert mae["worst_group"] == "c" and mae["value"] > 3
    residual = found["measures"]["mean_residual_gap"]
    assert residual["worst_group"] == "c" and residual["value"] == pytest.approx(3, abs=1)
    # Only the limit set is gated: the mean residual gap's is null (the default).
    limits = compose("dataset.gate.max_mae_gap=2.0").dataset.gate
    (mae_check,) = gate.fairness_checks({"current": {"region": found}}, limits, "regression")
    assert mae_check.name == "MAE gap across region"
    assert not mae_check.passed and "worst group c: mae" in mae_check.describe()


def test_a_regression_limit_left_null_is_reported_but_not_gated():
    found = column_fairness(
        pd.Series(["a", "b"] * 200),
        np.arange(400.0),
        np.arange(400.0),
        task=REGRESSION,
        threshold=0.5,
        min_rows=100,
    )
    assert found["measures"]["mae_gap"]["value"] == 0.0
    assert gate.fairness_checks({"current": {"region": found}}, LIMITS, "regression") == []


def test_every_group_column_is_judged_on_its_own(shop_features):
    scores = np.full(len(shop_features), 0.7)
    found = fairness(
        shop_features,
        shop_features["churned"].to_numpy(float),
        scores,
        columns=["region", "plan"],
        task=CLASSIFICATION,
        threshold=0.5,
        min_rows=50,
    )
    assert list(found) == ["region", "plan"]
    # Everyone predicted positive: no group differs in what it is predicted.
    assert found["plan"]["measures"]["demographic_parity_difference"]["value"] == 0.0
    rows = sum(group["rows"] for group in found["plan"]["groups"])
    assert rows == len(shop_features)


def test_composition_gives_each_groups_share_and_target_rate():
    reference = pd.DataFrame({"region": ["a"] * 6 + ["b"] * 4, "y": [1] * 3 + [0] * 3 + [1] * 4})
    current = pd.DataFrame({"region": ["b"] * 3 + ["c"], "y": [0, 0, 1, 1]})
    found = composition(reference, current, columns=["region"], target="y")["region"]
    assert [row["group"] for row in found] == ["a", "b", "c"]
    a, b, c = found
    assert (a["reference_share"], a["current_share"], a["reference_target"]) == (0.6, 0.0, 0.5)
    assert a["current_target"] is None and a["current_rows"] == 0
    assert (b["reference_share"], b["current_share"]) == (0.4, 0.75)
    assert (b["reference_target"], b["current_target"]) == (1.0, pytest.approx(1 / 3, abs=1e-6))
    assert (c["reference_rows"], c["current_share"], c["current_target"]) == (0, 0.25, 1.0)
