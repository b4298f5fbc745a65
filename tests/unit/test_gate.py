"""The gate: each check against its limit, edges included, and clear errors on bad summaries."""

from __future__ import annotations

import json

import pytest
from helpers import ROOT
from omegaconf import OmegaConf

from pipeline.errors import PipelineError
from pipeline.monitoring import gate

LIMITS = OmegaConf.load(ROOT / "conf" / "report" / "default.yaml").gate


def summaries(**changes):
    data = {
        "current": {"batches": ["2013-07"], "rows": 1000},
        "reference": {"batches": ["2013-01", "2013-02"], "rows": 5000},
        "drift": {
            "feature_count": 10,
            "drifted_count": 1,
            "drifted_share": 0.1,
            "drifted_columns": ["temp"],
            "target_distance": 0.02,
        },
        "quality": {
            "worst_missing_column": "wind_gust",
            "worst_missing_increase": 0.01,
            "new_categories": {},
            "new_category_share": 0.0,
        },
    }
    model = {
        "holdout": {"roc_auc": 0.78},
        "current": {"roc_auc": 0.76},
        "current_batch": "2013-07",
    }
    for path, value in changes.items():
        section, key = path.split("__")
        (data if section in ("drift", "quality") else model)[section][key] = value
    return data, model


def by_name(results):
    return {check.name: check for check in results}


def test_healthy_batch_passes_every_check():
    results = gate.checks(*summaries(), LIMITS)
    assert all(check.passed for check in results)
    assert gate.verdict(results)["passed"] is True


def test_a_value_on_its_limit_passes_and_just_past_it_fails():
    on_limit = gate.checks(*summaries(drift__drifted_share=LIMITS.max_drifted_share), LIMITS)
    past = gate.checks(*summaries(drift__drifted_share=LIMITS.max_drifted_share + 1e-6), LIMITS)
    assert by_name(on_limit)["drifted feature share"].passed
    assert not by_name(past)["drifted feature share"].passed


def test_low_roc_auc_fails_and_says_value_and_limit():
    results = gate.checks(*summaries(current__roc_auc=0.6), LIMITS)
    failed = [check for check in results if not check.passed]
    assert [check.name for check in failed] == [
        "ROC AUC on the newest batch",
        "ROC AUC drop from the holdout",
    ]
    assert failed[0].describe() == "ROC AUC on the newest batch: 0.600 < 0.700"
    assert gate.verdict(results) | {"checks": None} == {
        "passed": False,
        "failed": 2,
        "checks": None,
    }


def test_drift_failure_names_the_drifted_columns():
    data, model = summaries(drift__drifted_share=0.5, drift__drifted_columns=["temp", "dewp"])
    check = by_name(gate.checks(data, model, LIMITS))["drifted feature share"]
    assert not check.passed
    assert check.describe() == "drifted feature share: 0.500 > 0.300 (temp, dewp)"


def test_unlabelled_batch_is_not_measured_rather_than_failed():
    data, model = summaries(drift__target_distance=None, current__roc_auc=None)
    results = by_name(gate.checks(data, model, LIMITS))
    for name in ("target drift", "ROC AUC on the newest batch", "ROC AUC drop from the holdout"):
        assert results[name].value is None
        assert results[name].passed
        assert "no labels" in results[name].describe()


def test_missing_or_corrupt_summary_names_the_file(tmp_path):
    with pytest.raises(PipelineError, match=r"data\.json is missing: run `dvc repro`"):
        gate.read_summaries(tmp_path)
    (tmp_path / "data.json").write_text("{}")
    (tmp_path / "model.json").write_text('{"holdout": ')
    with pytest.raises(PipelineError, match=r"model\.json is not valid JSON"):
        gate.read_summaries(tmp_path)
    (tmp_path / "model.json").write_text(json.dumps({"holdout": {}}))
    assert gate.read_summaries(tmp_path) == ({}, {"holdout": {}})
