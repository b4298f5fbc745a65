"""The summary `make run` prints reads which stages ran from dvc's own output."""

import json

from pipeline.reporting.run_summary import stages_run

REPRO_OUTPUT = """\
Stage 'ingest' didn't change, skipping
Stage 'validate' is cached - skipping run, checking out outputs
Running stage 'train':
> python -m pipeline.stages.train
Running stage 'evaluate':
"""


def test_stages_run_and_skipped_are_read_from_repro_output():
    assert stages_run(REPRO_OUTPUT) == (["train", "evaluate"], ["ingest", "validate"])


def test_gate_line_names_the_first_failed_check(tmp_path):
    from pipeline.reporting.run_summary import gate_line

    verdict = tmp_path / "gate.json"
    assert gate_line(verdict) == "gate:      not run yet"
    checks = [
        {"passed": True, "text": "target drift: 0.050 <= 0.100"},
        {"passed": False, "text": "drifted feature share: 0.500 > 0.300 (monthly_spend)"},
        {"passed": False, "text": "ROC AUC on the newest batch: 0.600 < 0.700"},
    ]
    verdict.write_text(json.dumps({"passed": False, "checks": checks}))
    assert gate_line(verdict) == (
        "gate:      FAIL   drifted feature share: 0.500 > 0.300 (monthly_spend) (+1 more)"
    )
    verdict.write_text(json.dumps({"passed": True, "checks": checks[:1]}))
    assert gate_line(verdict).startswith("gate:      pass")


def test_a_metric_that_is_nan_null_text_or_absent_is_shown_as_not_measured():
    """ROC AUC of a batch holding one class is NaN, which dvclive writes as "nan"."""
    from pipeline.reporting.run_summary import split_line

    values = {"roc_auc": "nan", "pr_auc": float("nan"), "f1": None, "rows": 400}
    line = split_line("2024:", values, ("roc_auc", "pr_auc", "f1", "brier"))
    assert line == (
        "2024:      roc_auc not measured  pr_auc not measured  f1 not measured  "
        "brier not measured  (400 rows)"
    )
    values = {"roc_auc": 0.81234, "pr_auc": "0.5", "f1": 1, "brier": 0.2, "rows": 1234}
    line = split_line("holdout:", values, ("roc_auc", "pr_auc", "f1", "brier"))
    assert line == "holdout:   roc_auc 0.812  pr_auc 0.500  f1 1.000  brier 0.200  (1,234 rows)"
