"""The history's reader, on report contents in memory: what a batch commit's files make of a
row, and which of a page's links are exported with it."""

from __future__ import annotations

from pipeline.lifecycle.batch_history import BatchCommit, batch_row, linked_files

FOUND = BatchCommit(
    commit="e" * 40,
    short="eeeeeee",
    subject="replay 2013-09: gate failed, promoted",
    batch="2013-09",
    gate="failed",
    decision="promote",
)


def test_a_row_takes_the_newest_batch_numbers_of_the_primary_metric():
    row = batch_row(
        FOUND,
        comparison={
            "status": "compared",
            "task": "regression",
            "primary": "rmse",
            "champion": {"current": {"rmse": 4.5, "mae": 3.0}, "holdout": {"rmse": 3.0}},
            "challenger": {"current": {"rmse": 4.0}, "holdout": {"rmse": 3.1}},
            "difference": {"current": {"rmse": -0.5}},
            "confidence": {
                "current": {
                    "level": 0.95,
                    "difference": {"estimate": -0.5, "low": -0.8, "high": -0.2},
                    "mcnemar": None,
                }
            },
        },
        data={"drift": {"drifted_share": 0.25}},
        fairness={"current": {"a_gap": 0.1, "b_gap": None, "c_gap": 0.3}, "holdout": {"d": 0.9}},
        gate={"passed": False, "checks": [{"text": "x", "passed": False}, {"passed": True}]},
    )
    assert (row.decay, row.retrained) == (4.5, 4.0)  # the champion's decay, the retrained
    assert (row.difference, row.low, row.high) == (-0.5, -0.8, -0.2)
    assert row.higher_is_better is False and row.mcnemar_p is None  # regression: no McNemar
    assert (row.fairness_gap, row.fairness_measure) == (0.3, "c_gap")  # the newest batch's
    assert (row.gate, row.gate_failed, row.gate_checks) == ("failed", ("x",), 2)
    assert row.promoted and row.drift_share == 0.25


def test_a_row_without_its_reports_keeps_what_the_commit_message_says():
    row = batch_row(FOUND, missing=("reports/compare.json",))
    assert (row.gate, row.promoted, row.decay, row.fairness_gap) == ("failed", True, None, None)
    assert row.missing == ("reports/compare.json",)


def test_only_links_inside_the_pages_folder_are_exported():
    page = (
        '<a href="monitoring/data_drift.html">x</a><a href="compare.json#top">y</a>'
        '<a href="https://example.com/a">z</a><a href="/etc/passwd">p</a>'
        '<a href="../../outside.json">o</a><a href="evaluate/../model_card.md">m</a>'
        '<a href="monitoring/data_drift.html">again</a><a href="a&amp;b.csv">amp</a>'
    )
    assert linked_files(page) == [
        "monitoring/data_drift.html",
        "compare.json",
        "model_card.md",
        "a&b.csv",
    ]
