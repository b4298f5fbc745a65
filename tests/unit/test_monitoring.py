"""Evidently on real months: a summer batch drifts from winter, a sample of winter does not."""

from __future__ import annotations

import re

import pytest
from helpers import ROOT
from omegaconf import OmegaConf

from pipeline.data.sources import read_example
from pipeline.examples.flights.cleaning import mask_impossible_readings
from pipeline.examples.flights.features import TARGET, build_features
from pipeline.monitoring import evidently_reports as monitoring
from pipeline.monitoring import gate

REPORT = OmegaConf.load(ROOT / "conf" / "report" / "default.yaml")
SAMPLE_ROWS = 10_000  # smaller than the default, to keep the test quick; same code path
HEALTHY_MODEL = {"holdout": {"roc_auc": 0.78}, "current": {"roc_auc": 0.77}}
DATA_CHECKS = [
    "drifted feature share",
    "target drift",
    "missing share increase",
    "rows with a new category",
]


@pytest.fixture(scope="module")
def columns(feature_config) -> monitoring.Columns:
    return monitoring.Columns(
        list(feature_config.categorical), list(feature_config.numeric), TARGET
    )


@pytest.fixture(scope="module")
def july():
    flights, weather = read_example(["2013-07"])
    weather, _ = mask_impossible_readings(weather)
    return build_features(flights, weather, late_after_minutes=15)


def data_gate(reference, current, columns, out_dir):
    summary, _ = monitoring.data_report(
        reference,
        current,
        columns,
        sample_rows=SAMPLE_ROWS,
        seed=0,
        threshold=REPORT.drift_threshold,
        drift_share=REPORT.gate.max_drifted_share,
        out_dir=out_dir,
    )
    results = {check.name: check for check in gate.checks(summary, HEALTHY_MODEL, REPORT.gate)}
    return summary, {name: results[name] for name in DATA_CHECKS}


def test_gate_fails_on_a_summer_month_and_the_report_agrees(
    features_small, july, columns, tmp_path
):
    summary, checks = data_gate(features_small, july, columns, tmp_path)
    drift = checks["drifted feature share"]
    assert not drift.passed
    assert {"temp", "dewp"} <= set(summary["drift"]["drifted_columns"])
    assert not {"carrier", "origin"} & set(summary["drift"]["drifted_columns"])
    assert "temp" in drift.describe()
    for name in ("data_quality.html", "data_drift.html"):
        html = (tmp_path / name).read_text()
        assert not re.search(r"<script[^>]+src=", html), f"{name} loads a script from elsewhere"
    # The report judges dataset drift with the gate's limit, so the two never disagree.
    drift_html = (tmp_path / "data_drift.html").read_text()
    assert "Dataset Drift is detected" in drift_html
    assert f"threshold is {REPORT.gate.max_drifted_share}" in drift_html


def test_gate_passes_on_a_sample_of_the_training_months(features_small, columns, tmp_path):
    in_window = features_small.sample(n=8000, random_state=7)
    summary, checks = data_gate(features_small, in_window, columns, tmp_path)
    assert summary["drift"]["drifted_columns"] == []
    assert all(check.passed for check in checks.values()), [c.describe() for c in checks.values()]


def test_same_inputs_give_byte_identical_reports(features_small, july, columns, tmp_path):
    first, second = tmp_path / "first", tmp_path / "second"
    for out in (first, second):
        out.mkdir()
        data_gate(features_small, july.head(3000), columns, out)
    for name in ("data_quality.html", "data_drift.html"):
        assert (first / name).read_bytes() == (second / name).read_bytes()
