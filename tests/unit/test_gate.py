"""The gate: each check against its limit, edges included, and clear errors on bad summaries."""

from __future__ import annotations

import json

import pandas as pd
import pytest
from helpers import ROOT, compose
from omegaconf import OmegaConf

from pipeline.errors import PipelineError
from pipeline.monitoring import gate

LIMITS = OmegaConf.load(ROOT / "conf" / "report" / "default.yaml").gate
# The model-quality limits are the problem's: the fixture dataset's gate (min ROC AUC 0.6).
MODEL_LIMITS = compose().dataset.gate


def summaries(**changes):
    data = {
        "current": {"batches": ["2024"], "rows": 400},
        "reference": {"batches": ["2019", "2020"], "rows": 800},
        "drift": {
            "feature_count": 10,
            "drifted_count": 1,
            "drifted_share": 0.1,
            "drifted_columns": ["monthly_spend"],
            "target_distance": 0.02,
        },
        "quality": {
            "worst_missing_column": "monthly_spend",
            "worst_missing_increase": 0.01,
            "new_categories": {},
            "new_category_share": 0.0,
        },
    }
    model = {
        "holdout": {"roc_auc": 0.78},
        "current": {"roc_auc": 0.76},
        "current_batch": "2024",
    }
    for path, value in changes.items():
        section, key = path.split("__")
        (data if section in ("drift", "quality") else model)[section][key] = value
    return data, model


def by_name(results):
    return {check.name: check for check in results}


def test_healthy_batch_passes_every_check():
    results = gate.checks(*summaries(), LIMITS, MODEL_LIMITS)
    assert all(check.passed for check in results)
    assert gate.verdict(results)["passed"] is True


def test_a_value_on_its_limit_passes_and_just_past_it_fails():
    on_limit = gate.checks(
        *summaries(drift__drifted_share=LIMITS.max_drifted_share), LIMITS, MODEL_LIMITS
    )
    past = gate.checks(
        *summaries(drift__drifted_share=LIMITS.max_drifted_share + 1e-6), LIMITS, MODEL_LIMITS
    )
    assert by_name(on_limit)["drifted feature share"].passed
    assert not by_name(past)["drifted feature share"].passed


def test_low_roc_auc_fails_and_says_value_and_limit():
    results = gate.checks(*summaries(current__roc_auc=0.55), LIMITS, MODEL_LIMITS)
    failed = [check for check in results if not check.passed]
    assert [check.name for check in failed] == [
        "ROC AUC on the newest batch",
        "ROC AUC drop from the holdout",
    ]
    assert failed[0].describe() == "ROC AUC on the newest batch: 0.550 < 0.600"
    assert failed[1].describe() == "ROC AUC drop from the holdout: 0.230 > 0.100 (holdout 0.780)"
    assert gate.verdict(results) | {"checks": None} == {
        "passed": False,
        "failed": 2,
        "checks": None,
    }


def test_the_model_limits_are_the_datasets_and_the_data_limits_the_reports():
    stricter = OmegaConf.create({"min_roc_auc": 0.8, "max_roc_auc_drop": 0.01})
    results = by_name(gate.checks(*summaries(), LIMITS, stricter))
    assert not results["ROC AUC on the newest batch"].passed  # 0.76 < 0.8
    assert not results["ROC AUC drop from the holdout"].passed  # 0.02 > 0.01
    assert results["ROC AUC on the newest batch"].limit == 0.8
    assert results["drifted feature share"].limit == LIMITS.max_drifted_share
    assert all(results[name].passed for name in list(results)[:4])


def test_drift_failure_names_the_drifted_columns():
    data, model = summaries(
        drift__drifted_share=0.5, drift__drifted_columns=["monthly_spend", "support_calls"]
    )
    check = by_name(gate.checks(data, model, LIMITS, MODEL_LIMITS))["drifted feature share"]
    assert not check.passed
    assert check.describe() == (
        "drifted feature share: 0.500 > 0.300 (monthly_spend, support_calls)"
    )


def test_unlabelled_batch_is_not_measured_rather_than_failed():
    data, model = summaries(drift__target_distance=None, current__roc_auc=None)
    results = by_name(gate.checks(data, model, LIMITS, MODEL_LIMITS))
    for name in ("target drift", "ROC AUC on the newest batch", "ROC AUC drop from the holdout"):
        assert results[name].value is None
        assert results[name].passed
        assert "no labels" in results[name].describe()


def test_served_rows_without_labels_yet_are_judged_on_their_drift_not_as_one_batch():
    # `monitor`: the traffic is a newest batch; none of its labels has arrived yet.
    data, model = summaries(drift__drifted_share=0.5, current__roc_auc=None, current__rows=0)
    results = by_name(gate.checks(data, model, LIMITS, MODEL_LIMITS))
    assert not results["drifted feature share"].passed
    assert "no labels" in results["ROC AUC on the newest batch"].describe()


def test_one_batch_so_far_judges_the_holdout_and_waits_for_the_rest():
    from pipeline.monitoring.evidently_reports import no_batch_summary

    data = no_batch_summary(pd.DataFrame({"batch": ["2024"] * 3}), feature_count=4)
    model = {"holdout": {"roc_auc": 0.55, "rows": 80}, "current": {"rows": 0}}
    groups = {"holdout": {}, "current": {}}
    results = by_name(gate.checks(data, model, LIMITS, MODEL_LIMITS, groups=groups))
    waiting = [name for name, check in results.items() if check.value is None]
    assert waiting == [
        "drifted feature share",
        "target drift",
        "missing share increase",
        "rows with a new category",
        "ROC AUC drop from the holdout",
    ]
    assert all("one batch so far" in results[name].describe() for name in waiting)
    holdout = results["ROC AUC on the holdout"]
    assert not holdout.passed and holdout.describe() == "ROC AUC on the holdout: 0.550 < 0.600"


def test_missing_or_corrupt_summary_names_the_file(tmp_path):
    with pytest.raises(PipelineError, match=r"data\.json is missing: run `dvc repro`"):
        gate.read_summaries(tmp_path)
    (tmp_path / "data.json").write_text("{}")
    (tmp_path / "model.json").write_text('{"holdout": ')
    with pytest.raises(PipelineError, match=r"model\.json is not valid JSON"):
        gate.read_summaries(tmp_path)
    (tmp_path / "model.json").write_text(json.dumps({"holdout": {}}))
    assert gate.read_summaries(tmp_path) == ({}, {"holdout": {}})
