"""Evidently on the fixture: the newest year drifts from the training window (spend and
support calls grow year on year), a sample of the window does not. Drift is judged on the
model's features, derived columns included."""

from __future__ import annotations

import json
import re

import pandas as pd
import pytest

from pipeline.monitoring import gate
from pipeline.monitoring.evidently_reports import write_data_reports

HEALTHY_MODEL = {"holdout": {"roc_auc": 0.78}, "current": {"roc_auc": 0.77}}
DATA_CHECKS = [
    "drifted feature share",
    "target drift",
    "missing share increase",
    "rows with a new category",
]


@pytest.fixture(scope="module")
def window(shop_features):
    return shop_features[shop_features["batch"] < "2024"]


@pytest.fixture(scope="module")
def newest(shop_features):
    return shop_features[shop_features["batch"] == "2024"]


def data_gate(reference, current, params, out_dir):
    summary = write_data_reports(
        reference, current, dataset=params.dataset, report=params.report, seed=0, out_dir=out_dir
    )
    results = gate.checks(summary, HEALTHY_MODEL, params.report.gate, params.dataset.gate)
    named = {check.name: check for check in results}
    return summary, {name: named[name] for name in DATA_CHECKS}


def test_gate_fails_on_a_drifted_batch_and_the_report_agrees(window, newest, shop_params, tmp_path):
    summary, checks = data_gate(window, newest, shop_params, tmp_path)
    drift = checks["drifted feature share"]
    assert not drift.passed
    assert summary["current"] == {"batches": ["2024"], "rows": len(newest)}
    assert {"monthly_spend", "support_calls"} <= set(summary["drift"]["drifted_columns"])
    assert not {"region", "plan"} & set(summary["drift"]["drifted_columns"])
    assert "monthly_spend" in drift.describe()
    for name in ("data_quality.html", "data_drift.html"):
        html = (tmp_path / name).read_text()
        assert not re.search(r"<script[^>]+src=", html), f"{name} loads a script from elsewhere"
    # The report judges dataset drift with the gate's limit, so the two never disagree.
    drift_html = (tmp_path / "data_drift.html").read_text()
    assert "Dataset Drift is detected" in drift_html
    assert f"threshold is {shop_params.report.gate.max_drifted_share}" in drift_html
    assert json.loads((tmp_path / "data.json").read_text()) == summary


def test_drift_is_judged_on_the_model_features_with_derived_columns(
    window, newest, shop_params, tmp_path
):
    summary, _ = data_gate(window, newest, shop_params, tmp_path)
    columns = json.loads((tmp_path / "data_columns.json").read_text())
    features = shop_params.dataset.features
    assert set(columns) == {*features.categorical, *features.numeric, "churned"}
    assert "signup_hour" in columns and "signup_hhmm" not in columns  # derived inside the model
    assert summary["drift"]["feature_count"] == len(features.categorical) + len(features.numeric)
    assert columns["churned"]["method"] == "jensenshannon"  # the target, compared on its own
    assert summary["drift"]["target_distance"] == columns["churned"]["distance"]


def test_a_feature_with_no_values_on_one_side_has_its_drift_not_measured(
    window, newest, shop_params, tmp_path
):
    """Evidently refuses an empty column ("An empty column ... was provided for drift
    calculation"): a feature blank in the training window must not stop the data report."""
    blank = window.assign(monthly_spend=float("nan"))
    summary, _ = data_gate(blank, newest, shop_params, tmp_path)
    columns = json.loads((tmp_path / "data_columns.json").read_text())
    assert columns["monthly_spend"] | {"missing_current": None} == {
        "method": "not measured",
        "distance": None,
        "drifted": False,
        "reason": "no values in the reference rows",
        "missing_reference": 1.0,
        "missing_current": None,
    }
    assert "monthly_spend" not in summary["drift"]["drifted_columns"]
    assert "support_calls" in summary["drift"]["drifted_columns"]  # the rest is still judged
    _, checks = data_gate(window, newest.assign(monthly_spend=float("nan")), shop_params, tmp_path)
    assert not checks["missing share increase"].passed  # a column emptied in the newest batch
    reason = json.loads((tmp_path / "data_columns.json").read_text())["monthly_spend"]["reason"]
    assert reason == "no values in the newest rows"


def test_gate_passes_on_a_sample_of_the_training_window(window, shop_params, tmp_path):
    sample = window.sample(n=600, random_state=7)
    summary, checks = data_gate(window, sample, shop_params, tmp_path)
    assert summary["drift"]["drifted_columns"] == []
    assert all(check.passed for check in checks.values()), [c.describe() for c in checks.values()]


def test_a_batch_without_labels_is_compared_on_its_inputs_alone(
    window, newest, shop_params, tmp_path
):
    summary, checks = data_gate(window, newest.drop(columns="churned"), shop_params, tmp_path)
    assert summary["drift"]["target_distance"] is None
    assert checks["target drift"].value is None and checks["target drift"].passed


def test_same_inputs_give_byte_identical_reports(window, newest, shop_params, tmp_path):
    first, second = tmp_path / "first", tmp_path / "second"
    for out in (first, second):
        out.mkdir()
        data_gate(window, newest.head(300), shop_params, out)
    for name in ("data_quality.html", "data_drift.html", "data.json", "data_columns.json"):
        assert (first / name).read_bytes() == (second / name).read_bytes()


def stored(frame, path, part_rows: int | None):
    """A table as engine=pandas writes it (one file) or engine=dask (a folder of parts)."""
    if part_rows is None:
        frame.to_parquet(path, index=False)
        return path
    path.mkdir()
    for number, start in enumerate(range(0, len(frame), part_rows)):
        frame.iloc[start : start + part_rows].to_parquet(
            path / f"part-{number:05d}-0000.parquet", index=False
        )
    return path


@pytest.mark.parametrize("part_rows", [None, 150], ids=["file", "parts"])
def test_reports_read_a_batch_at_a_time_are_those_of_the_whole_frames(
    window, newest, shop_params, tmp_path, part_rows
):
    """The data_report stage reads train, holdout and the newest batch a batch of rows at a
    time; with both sides sampled, the reports are byte for byte those of the frames read
    whole (the same sampled rows, the same counts)."""
    from omegaconf import OmegaConf

    from pipeline.data.tables import StoredTable

    report = OmegaConf.merge(shop_params.report, {"sample_rows": 300})
    paths = [
        stored(frame.reset_index(drop=True), tmp_path / f"{name}.parquet", part_rows)
        for name, frame in (
            ("train", window.iloc[:1500]),
            ("holdout", window.iloc[1500:]),
            ("current", newest),
        )
    ]
    whole_reference = pd.concat([pd.read_parquet(p) for p in paths[:2]], ignore_index=True)
    columns = list(whole_reference.columns)
    read = {
        "whole": (whole_reference, pd.read_parquet(paths[2])),
        "batches": (
            StoredTable(paths[:2], columns, batch_rows=64),
            StoredTable(paths[2:], columns, batch_rows=64),
        ),
    }
    for name, (reference, current) in read.items():
        (tmp_path / name).mkdir()
        write_data_reports(
            reference,
            current,
            dataset=shop_params.dataset,
            report=report,
            seed=0,
            out_dir=tmp_path / name,
        )
    summary = json.loads((tmp_path / "batches" / "data.json").read_text())
    assert summary["reference"]["rows"] == 2000 and summary["current"]["rows"] == 400
    for name in ("data_quality.html", "data_drift.html", "data.json", "data_columns.json"):
        assert (tmp_path / "batches" / name).read_bytes() == (
            tmp_path / "whole" / name
        ).read_bytes()
