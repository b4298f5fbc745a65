"""The model card and the reports page show every metric as a number or "not measured"."""

from __future__ import annotations

import math
import re
from pathlib import Path

import pandas as pd

from pipeline.reporting.index_page import render_index
from pipeline.reporting.model_card import render_card

# The newest batch held one class: no ROC AUC (dvclive writes NaN as "nan"), and a slice alike.
ONE_CLASS = {"rows": 83, "roc_auc": "nan", "pr_auc": 1.0, "f1": 0.9, "brier": math.nan}
HOLDOUT = {"rows": 1600, "roc_auc": 0.7512, "pr_auc": 0.4, "f1": 0.5, "brier": 0.18}


def card(tmp_path: Path, **changes) -> str:
    model = tmp_path / "model.skops"
    model.write_bytes(b"a model")
    slices = pd.DataFrame(
        [
            ["region", "west", 83, 1.0, math.nan, 1.0, 0.05],
            ["region", "north", 300, 0.3, 0.71, 0.5, 0.2],
        ],
        columns=["slice", "value", "rows", "positive_share", "roc_auc", "pr_auc", "brier"],
    )
    inputs = {
        "artifact": "churn-model",
        "intended_use": "tests",
        "model_file": model,
        "params": {
            "seed": 42,
            "model": {"name": "hist_gbm", "max_iter": 40},
            "task": "classification",
            "target": "churned",
            "features": {"categorical": ["region"], "numeric": ["monthly_spend"]},
            "derived": {},
            "split": {"method": "random"},
            "data": {"train_window": None},
            "threshold": 0.5,
            "min_slice_rows": 30,
        },
        "ingest": {
            "source": "files",
            "rows": {"customers": 2000},
            "batch_count": 2,
            "batches": [
                {"batch": "2023", "rows": 1917, "origin": "2023.csv"},
                {"batch": "2024", "rows": 83, "origin": "2024.csv"},
            ],
        },
        "metrics": {"holdout": HOLDOUT, "current": ONE_CLASS},
        "slices": slices,
        "importance": pd.DataFrame({"feature": ["region"], "importance": [0.1]}),
        "current_batch": "2024",
        "search": {"method": "none"},
    }
    return render_card(**(inputs | changes))


def page(**changes) -> str:
    inputs = {
        "gate": {"passed": True, "failed": 0, "checks": []},
        "data": {
            "current": {"batches": ["2024"], "rows": 83},
            "reference": {"batches": ["2019", "2023"], "rows": 1917},
        },
        "columns": {},
        "model": {"holdout": HOLDOUT, "current": ONE_CLASS | {"calibration_error": None}},
        "model_name": "hist_gbm",
        "charts": [],
        "links": [],
    }
    return render_index(**(inputs | changes))


def test_card_shows_a_metric_it_could_not_measure_as_not_measured(tmp_path):
    text = card(tmp_path)
    assert "| roc_auc | 0.751 | not measured |" in text
    assert "| brier | 0.180 | not measured |" in text
    assert "| rows | 1,600 | 83 |" in text
    assert "| region | west | 83 | 1.000 | not measured | 1.000 | 0.050 |" in text
    assert not re.search(r"\bnan\b", text, re.IGNORECASE)


def test_page_shows_a_metric_it_could_not_measure_as_not_measured():
    text = page()
    assert "<tr><td>roc_auc</td><td class=num>0.751</td><td class=num>not measured</td>" in text
    assert "<td>calibration_error</td><td class=num>not measured</td>" in text
    assert not re.search(r"\bnan\b", text, re.IGNORECASE)


LEFT_OUT = {"monthly_spend": "no values in the 1,917 training rows"}


def test_card_and_page_name_a_left_out_feature_and_why(tmp_path):
    line = "- `monthly_spend`: no values in the 1,917 training rows"
    assert line in card(tmp_path, left_out=LEFT_OUT)
    assert "Left out of this model" not in card(tmp_path, left_out={})
    item = "<li><code>monthly_spend</code>: no values in the 1,917 training rows</li>"
    assert f'<ul id="left-out">{item}</ul>' in page(left_out=LEFT_OUT)
    assert 'id="left-out"' not in page(left_out={})


def test_page_lists_a_column_whose_drift_was_not_measured_after_the_measured_ones():
    columns = {
        "monthly_spend": {
            "method": "not measured",
            "distance": None,
            "drifted": False,
            "reason": "no values in the reference rows",
            "missing_reference": 1.0,
            "missing_current": 0.05,
        },
        "support_calls": {
            "method": "wasserstein",
            "distance": 0.4,
            "drifted": True,
            "missing_reference": 0.0,
            "missing_current": 0.0,
        },
    }
    text = page(columns=columns)
    assert text.index("<td>support_calls</td>") < text.index("<td>monthly_spend</td>")
    assert "<td>not measured</td><td class=num>not measured</td>" in text
