"""Champion against challenger on the same rows, and the gate's check of the difference.

Real models fitted on the fixture's features: a worse challenger is one trained on a
shuffled target.
"""

from __future__ import annotations

import itertools

import numpy as np
import pytest
from helpers import compose

from pipeline.lifecycle.promotion import KEEP, PROMOTE, decide
from pipeline.modeling import estimators
from pipeline.modeling.comparison import (
    COMPARED,
    NO_CHAMPION,
    NOT_COMPARABLE,
    Groups,
    compare,
)
from pipeline.modeling.derived import input_columns
from pipeline.monitoring import gate

LIMITS = compose().dataset.gate


@pytest.fixture(scope="module")
def splits(shop_splits):
    return shop_splits


def fitted(
    splits,
    *,
    shuffle_target: bool = False,
    drop: str | None = None,
    task_model=None,
    flip_region: str | None = None,
):
    cfg = compose("model=logistic_regression", "model.max_iter=300")
    dataset = cfg.dataset
    categorical, numeric = list(dataset.features.categorical), list(dataset.features.numeric)
    if drop:
        numeric = [column for column in numeric if column != drop]
    pipeline = estimators.build_pipeline(cfg.model, categorical, numeric, cfg.seed, dataset.derived)
    train = splits.train.copy()
    if shuffle_target:
        train[dataset.target] = np.random.default_rng(0).permutation(train[dataset.target])
    if flip_region:  # a model that learned the opposite for one group's rows
        rows = train["region"] == flip_region
        train.loc[rows, dataset.target] = 1 - train.loc[rows, dataset.target]
    inputs = input_columns(categorical, numeric, dataset.derived)
    return estimators.fit(pipeline, train, inputs, dataset.target)


@pytest.fixture(scope="module")
def good(splits):
    return fitted(splits)


def frames_of(splits):
    return {"holdout": splits.holdout, "current": splits.current}


def run(champion, challenger, splits, reason=""):
    return compare(
        champion,
        challenger,
        frames_of(splits),
        target="churned",
        threshold=0.5,
        id_columns=["customer_id"],
        seed=7,
        reason=reason,
        groups=Groups(("region",), min_rows=50),
    )


def test_a_worse_challenger_fails_the_check_naming_both_numbers(good, splits):
    worse = fitted(splits, shuffle_target=True)
    result, _ = run(good, worse, splits)
    assert result["status"] == COMPARED
    old = result["champion"]["current"]["roc_auc"]
    new = result["challenger"]["current"]["roc_auc"]
    assert old - new > 0.1  # a shuffled target learns nothing real
    check = gate.champion_check(result, LIMITS)
    assert not check.passed
    assert f"{old:.3f}" in check.describe() and f"{new:.3f}" in check.describe()
    # Refused on the interval: its low end, stated with the estimate, is over the limit.
    worse = result["confidence"]["current"]["worse_by"]
    assert worse["estimate"] == pytest.approx(old - new, abs=1e-6)
    assert check.value == worse["low"] and worse["low"] > 0.1
    assert (
        f"worse by {old - new:.3f}, 95% interval {worse['low']:.3f}..{worse['high']:.3f}"
        in check.describe()
    )


def test_an_equal_challenger_passes_with_a_zero_difference(good, splits):
    result, _ = run(good, fitted(splits), splits)
    check = gate.champion_check(result, LIMITS)
    assert check.passed and check.value == 0
    assert all(value in (0, None) for value in result["difference"]["current"].values())
    sure = result["confidence"]["current"]
    assert sure["difference"] == {"estimate": 0, "low": 0, "high": 0}
    assert sure["mcnemar"] == {"champion_only": 0, "challenger_only": 0, "p_value": 1.0}


ROLES = ("champion", "challenger")


def against(result) -> dict[str, gate.Check]:
    checks = gate.against_champion(result, LIMITS, "classification")
    return {check.name: check for check in checks}


def test_a_challenger_that_fails_one_group_is_kept_out_naming_the_group(good, splits):
    # Trained on rows where the south's churners and stayers are swapped: on the real rows it
    # gets the south wrong, however well it does elsewhere.
    unfair = fitted(splits, flip_region="south")
    result, _ = run(good, unfair, splits)
    seen = result["fairness"]["current"]["region"]
    before, after = (seen["groups"]["south"][role]["false_positive_rate"] for role in ROLES)
    whole_before, whole_after = (seen["overall"][role]["false_positive_rate"] for role in ROLES)
    # False alarms for the south, far above the other regions' under the new model only.
    behind = (after - whole_after) - (before - whole_before)
    assert behind > LIMITS.max_equalized_odds_difference
    name = "true positive rate and false positive rate of each region group against the champion"
    check = against(result)[name]
    assert not check.passed and check.value == pytest.approx(behind, abs=1e-6)
    assert (
        f"worst: region south, false positive rate {after:.3f} against {whole_after:.3f} for "
        f"all groups under the new model, {before:.3f} against {whole_before:.3f} under the "
        "champion" in check.describe()
    )
    decision = decide(gate.verdict(list(against(result).values())))
    assert decision.action == KEEP
    assert "of each region group against the champion" in decision.reason


def test_a_challenger_that_flags_more_rows_in_every_group_is_not_refused_for_it(good, splits):
    # The same model at a lower threshold: every group's false positive rate rises, and none
    # falls behind the others, so the fairness checks against the champion pass.
    def region_at(threshold: float) -> dict:
        result, _ = compare(
            good,
            good,
            frames_of(splits),
            target="churned",
            threshold=threshold,
            id_columns=["customer_id"],
            seed=7,
            groups=Groups(("region",), min_rows=50),
        )
        return result

    result, lower = region_at(0.5), region_at(0.3)["fairness"]["current"]["region"]
    seen = result["fairness"]["current"]["region"]  # the champion at 0.5 ...
    for group, roles in seen["groups"].items():  # ... the challenger at 0.3
        roles["challenger"] = lower["groups"][group]["challenger"]
    seen["overall"]["challenger"] = lower["overall"]["challenger"]
    rates = {role: seen["overall"][role]["false_positive_rate"] for role in ROLES}
    assert rates["challenger"] > rates["champion"] + 0.05
    checks = gate.fairness_against_champion(result, LIMITS, "classification")
    assert len(checks) == 4 and all(check.passed for check in checks)


def test_a_challenger_that_treats_every_group_as_the_champion_does_passes(splits):
    # Both models learned the same swap: unfair alike, so no group is worse off for the change.
    unfair = fitted(splits, flip_region="south")
    result, _ = run(unfair, fitted(splits, flip_region="south"), splits)
    gaps = result["fairness"]["current"]["region"]["gaps"]["recall_gap"]
    assert gaps["champion"] == gaps["challenger"] > LIMITS.max_recall_gap
    checks = against(result)
    assert len(checks) == 5  # the champion check and four fairness measures
    assert all(check.passed for check in checks.values())
    fairness = [check for name, check in checks.items() if "group" in name]
    assert all(check.value == 0 for check in fairness)
    assert decide(gate.verdict(list(checks.values()))).action == PROMOTE


def test_no_champion_passes_and_says_so(good, splits):
    result, scores = run(None, good, splits, reason="nothing in prod and no base model")
    assert result["status"] == NO_CHAMPION
    assert result["champion"] == {} and "current" in result["challenger"]
    check = gate.champion_check(result, LIMITS)
    assert check.passed
    assert "no champion: nothing in prod and no base model" in check.describe()
    assert list(scores["current"].columns) == ["label", "challenger"]


def test_both_models_are_scored_on_exactly_the_challengers_rows(good, splits):
    champion = fitted(splits, shuffle_target=True)
    result, scores = run(champion, good, splits)
    for split, frame in frames_of(splits).items():
        assert result["rows"][split] == len(frame) == len(scores[split])
        assert result["challenger"][split]["rows"] == result["champion"][split]["rows"]
        assert (scores[split]["label"].to_numpy() == frame["churned"].to_numpy()).all()
    # The fingerprint follows the ids: other rows, or the same rows reordered, differ.
    again, _ = run(champion, good, splits)
    assert again["rows_digest"] == result["rows_digest"]
    reordered, _ = run(champion, good, splits._replace(current=splits.current.iloc[::-1]))
    assert reordered["rows_digest"]["current"] != result["rows_digest"]["current"]
    assert reordered["rows_digest"]["holdout"] == result["rows_digest"]["holdout"]


def test_a_champion_that_needs_a_missing_column_blocks_the_check(good, splits):
    frames = frames_of(splits)
    narrow = fitted(splits, drop="monthly_spend")
    for split in frames:
        frames[split] = frames[split].drop(columns="monthly_spend")
    result, _ = compare(
        good, narrow, frames, target="churned", threshold=0.5, id_columns=["customer_id"], seed=7
    )
    assert result["status"] == NOT_COMPARABLE
    assert "monthly_spend" in result["reason"]
    check = gate.champion_check(result, LIMITS)
    assert not check.passed
    assert "cannot be measured" in check.describe() and "monthly_spend" in check.describe()


def test_regression_compares_the_relative_rmse_rise():
    comparison = {
        "task": "regression",
        "status": COMPARED,
        "rows": {"current": 120},
        "champion": {"current": {"rmse": 2.0}},
        "challenger": {"current": {"rmse": 2.1}},
    }
    check = gate.champion_check(comparison, LIMITS)
    assert check.value == pytest.approx(0.05) and not check.passed
    assert "RMSE: champion 2.000, new model 2.100, on the same 120 rows" in check.describe()
    comparison["challenger"]["current"]["rmse"] = 2.02
    assert gate.champion_check(comparison, LIMITS).passed


def test_the_pages_show_both_models_per_split_or_why_there_is_no_champion(good, splits):
    from pipeline.reporting import comparison_text

    champion = fitted(splits, shuffle_target=True)
    result, _ = run(champion, good, splits)
    result["champion_name"] = "churn-model v0.0.1 (stage prod)"
    text = comparison_text.markdown(result)
    rows = result["rows"]
    assert text.startswith(
        "Champion churn-model v0.0.1 (stage prod) against the new model, scored on the same rows "
        f"(newest batch {rows['current']:,} rows, holdout {rows['holdout']:,} rows)."
    )
    old, new = result["champion"]["current"]["roc_auc"], result["challenger"]["current"]["roc_auc"]
    assert f"| newest batch | roc_auc | {old:.3f} | {new:.3f} | {new - old:+.3f} |" in text
    # the newest batch, which the gate judges and neither model trained on, comes first
    assert text.index("| newest batch |") < text.index("| holdout |")
    assert comparison_text.CAVEAT in text
    gap = result["fairness"]["current"]["region"]["gaps"]["recall_gap"]
    assert (
        f"| newest batch | recall gap across region | {gap['champion']:.3f} | "
        f"{gap['challenger']:.3f} | {gap['challenger'] - gap['champion']:+.3f} |" in text
    )
    sure = result["confidence"]["current"]
    low, high = sure["difference"]["low"], sure["difference"]["high"]
    assert (
        f"- newest batch: new model minus champion in roc_auc {new - old:+.3f}, 95% interval "
        f"{low:+.3f}..{high:+.3f} (1,000 paired resamples of the {rows['current']:,} rows); "
        "McNemar's test: " in text
    )
    assert f"<td class=num>{old:.3f}</td>" in comparison_text.html(result)

    alone, _ = run(None, good, splits, reason="nothing is pinned in models/champion")
    assert comparison_text.markdown(alone) == "No champion: nothing is pinned in models/champion."
    assert "<table" not in comparison_text.html(alone)


def test_the_run_summary_names_the_champion_and_both_numbers(good, splits, tmp_path):
    from pipeline.io import write_json
    from pipeline.reporting.run_summary import champion_line

    result, _ = run(good, good, splits)
    result["champion_name"] = "the model of HEAD (abc1234, dvc.lock)"
    write_json(result, tmp_path / "compare.json")
    roc, rows = result["challenger"]["current"]["roc_auc"], result["rows"]["current"]
    assert champion_line(tmp_path / "compare.json") == (
        f"champion:  the model of HEAD (abc1234, dvc.lock): roc_auc {roc:.3f}, "
        f"new model {roc:.3f} on the same {rows:,} rows"
    )
    assert champion_line(tmp_path / "missing.json") == "champion:  not compared yet"


def test_the_curves_span_every_row_in_at_most_200_points():
    import pandas as pd

    from pipeline.stages.compare import CURVE_POINTS, rec_curve, roc_curve

    rng = np.random.default_rng(0)
    labels = rng.integers(0, 2, 5000)
    table = pd.DataFrame({"label": labels, "model": labels * 0.3 + rng.random(5000)})
    roc = roc_curve(table, "model")
    assert len(roc) <= CURVE_POINTS
    assert roc[0] == {"fpr": 0.0, "tpr": 0.0} and roc[-1] == {"fpr": 1.0, "tpr": 1.0}
    assert all(a["fpr"] <= b["fpr"] and a["tpr"] <= b["tpr"] for a, b in itertools.pairwise(roc))

    values = pd.DataFrame({"label": np.arange(1000.0), "model": np.arange(1000.0) + 2})
    rec = rec_curve(values, "model")
    assert len(rec) == CURVE_POINTS
    assert rec[0]["abs_error"] == rec[-1]["abs_error"] == 2.0  # every row is off by 2
    assert rec[-1]["share_within"] == 1.0
