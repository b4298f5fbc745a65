"""reports/history.html from rows: the loop over time as a person reads it, offline."""

from __future__ import annotations

import re

from helpers import history_table

from pipeline.reporting.charts import batch_chart
from pipeline.reporting.history_page import BatchRow, markdown, page_link, render_history

JULY = BatchRow(
    batch="2013-07",
    commit="a" * 40,
    short="aaaaaaa",
    subject="replay 2013-07: gate failed, promoted",
    gate="failed",
    decision="promote",
    promoted=True,
    metric="roc_auc",
    status="compared",
    decay=0.691234,
    retrained=0.712345,
    difference=0.021111,
    low=0.012,
    high=0.030,
    level=0.95,
    mcnemar_p=0.000123,
    drift_share=0.5625,
    fairness_gap=0.301,
    fairness_measure="precision_gap",
    gate_failed=("drifted feature share: 0.562 > 0.300 (temp, dewp)",),
    gate_checks=11,
)
AUGUST = BatchRow(
    batch="2013-08",
    commit="b" * 40,
    short="bbbbbbb",
    subject="replay 2013-08: gate passed, kept the champion",
    gate="passed",
    decision="keep",
    promoted=False,
    metric="roc_auc",
    status="compared",
    decay=0.70001,
    retrained=0.69,
    difference=-0.01001,
    low=-0.025,
    high=0.004,
    level=0.95,
    mcnemar_p=0.41,
    drift_share=0.125,
    fairness_gap=0.2,
    fairness_measure="recall_gap",
    gate_checks=11,
)


def test_the_table_shows_each_batch_newest_first_with_its_numbers_and_links():
    page = render_history([JULY, AUGUST], branch="replay")
    august, july = history_table(page)
    assert [august["batch"], july["batch"]] == ["2013-08", "2013-07"]
    assert july["text"] == [
        "2013-07",
        "aaaaaaa",
        "0.691",
        "0.712",
        "+0.021 (+0.012..+0.030)",
        "<0.001",
        "0.562",
        "0.301precision gap",
        "failed: 1 of 11 checks",
        "promoted",
    ]
    assert august["text"][4:6] == ["-0.010 (-0.025..+0.004)", "0.410"]
    assert august["text"][-2:] == ["passed", "kept the champion"]
    # The exact numbers ride along, for a reader that wants more than three decimals.
    assert float(july["values"]["decay"]["data-value"]) == JULY.decay
    assert float(july["values"]["difference"]["data-low"]) == JULY.low
    assert july["links"] == ["history/aaaaaaa/index.html"] * 2 == [page_link(JULY)] * 2
    assert "2 batches on replay, 2013-07..2013-08: 1 promoted the retrained model, 1 kept" in page
    assert "the gate failed on 1." in page


def test_the_page_draws_three_charts_whose_points_link_to_each_batch():
    page = render_history([JULY, AUGUST], branch="replay")
    charts = re.findall(r"<svg .*?</svg>", page, flags=re.S)
    assert [re.search(r'aria-label="([^"]+)"', chart)[1] for chart in charts] == [
        "roc_auc on each new batch",
        "Retrained minus champion, 95% interval",
        "Share of drifted feature columns",
    ]
    # Before and after retraining, every batch a point; both points of a batch open its page.
    assert charts[0].count("<circle") == 4
    assert charts[0].count('href="history/aaaaaaa/index.html"') == 2
    assert "2013-07, champion before retraining: 0.691" in charts[0]
    assert "2013-08, difference in roc_auc: -0.01 (-0.025..0.004)" in charts[1]


def test_the_page_needs_no_network_and_no_script():
    page = render_history([JULY, AUGUST], branch="replay")
    assert "<script" not in page and "<link" not in page and "@import" not in page
    assert not re.findall(r'(?:src|href)="(?:https?:)?//', page)


def test_a_branch_without_batch_commits_gets_a_page_that_says_so():
    page = render_history([], branch="main")
    assert "No batch commits on <b>main</b> yet" in page
    assert "<svg" not in page and 'id="history"' not in page


def test_a_batch_without_a_champion_says_so_instead_of_a_number():
    first = BatchRow(
        batch="2013-07",
        commit="c" * 40,
        short="ccccccc",
        subject="replay 2013-07: gate passed, kept the champion",
        gate="passed",
        decision="keep",
        promoted=False,
        metric="roc_auc",
        status="no champion",
        retrained=0.7,
        missing=("reports/analysis/fairness.json",),
    )
    (row,) = history_table(render_history([first], branch="replay"))
    assert row["text"][0] == "2013-07not readable at this commit: reports/analysis/fairness.json"
    assert row["text"][2:6] == ["no champion", "0.700", "no champion", "not measured"]
    assert row["values"]["decay"]["data-value"] == ""


def test_regression_says_lower_is_better():
    rmse = BatchRow(
        batch="1990",
        commit="d" * 40,
        short="ddddddd",
        subject="replay 1990: gate passed, promoted",
        gate="passed",
        decision="promote",
        promoted=True,
        metric="rmse",
        higher_is_better=False,
        decay=4.2,
        retrained=3.9,
        difference=-0.3,
    )
    page = render_history([rmse], branch="replay")
    assert "lower rmse is better: below 0, the retrained model is better" in page
    assert history_table(page)[0]["text"][4] == "-0.300"  # no interval measured: the point alone


def test_the_pull_request_table_is_markdown_newest_first():
    table = markdown([JULY, AUGUST]).splitlines()
    assert table[0].startswith("| batch | commit | champion before retraining (roc_auc) |")
    assert table[2] == (
        "| 2013-08 | bbbbbbb | 0.700 | 0.690 | -0.010 (-0.025..+0.004) | 0.125 | 0.200 | "
        "passed | kept the champion |"
    )
    assert table[3].startswith("| 2013-07 | aaaaaaa | 0.691 | 0.712 | +0.021 (+0.012..+0.030)")
    assert table[3].endswith("| failed: 1 of 11 checks | promoted |")


def test_a_missing_value_breaks_the_line_and_the_axis_has_round_ticks():
    chart = batch_chart("scores", ["a", "b", "c", "d"], {"s": [0.71, 0.74, None, 0.69]}, "roc_auc")
    lines = re.findall(r'<polyline [^>]*points="([^"]*)"', chart)
    assert len(lines) == 1 and len(lines[0].split()) == 2  # a..b; d stands alone
    assert chart.count("<circle") == 3
    ticks = re.findall(r'class="tick end">([^<]+)<', chart)
    assert ticks == ["0.68", "0.7", "0.72", "0.74", "0.76"]
