"""reports/history.html: the loop over time, one row per batch commit of the branch.

Per batch: the production model's score on the new batch before retraining (the decay), the
retrained model's on the same rows, their difference with its interval, the drift share, the
worst fairness gap, the gate's verdict and the decision; charts over batches, and a table
whose rows link to each commit's own reports page. Drawn like reports/index.html: plain HTML
with inline SVG, so it opens from disk with no server, no script and no network. The same
rows make the Markdown table of the retrain pull request.
"""

from __future__ import annotations

from dataclasses import dataclass
from html import escape

from pipeline.modeling.comparison import COMPARED
from pipeline.reporting.charts import batch_chart
from pipeline.reporting.index_page import STYLE
from pipeline.reporting.numbers import measured, metric_text

PAGE = "history.html"  # beside reports/index.html
EXPORTS = "history"  # beside it: history/<short sha>/index.html, each batch's own page

# Three charts side by side, and a table of ten columns: a wider page than the index's.
EXTRA_STYLE = """
body{max-width:84rem}td.verdict,td.decision,#history td:first-child{white-space:nowrap}
#history td{vertical-align:top}#history tr.promote td.decision{color:#17692b;font-weight:600}
.missing{color:#8a5a00;font-size:.9em}.measure{color:#555;font-size:.85em}
"""


@dataclass(frozen=True)
class BatchRow:
    """One batch commit and the numbers its reports hold (None: not measured there)."""

    batch: str
    commit: str
    short: str
    subject: str
    gate: str  # "passed" or "failed": the commit's gate.json, else its Gate trailer
    decision: str  # the Decision trailer: "promote" or "keep"
    promoted: bool  # the retrained model replaced the champion
    metric: str | None = None  # the task's primary metric (roc_auc, rmse)
    higher_is_better: bool = True
    status: str | None = None  # the comparison's: compared, no champion, not comparable
    decay: float | None = None  # the champion's metric on the new batch, before retraining
    retrained: float | None = None  # the retrained model's, on the same rows
    difference: float | None = None  # retrained minus champion
    low: float | None = None  # the difference's interval (None: not measured)
    high: float | None = None
    level: float | None = None  # of the interval (0.95)
    mcnemar_p: float | None = None
    drift_share: float | None = None  # of the feature columns
    fairness_gap: float | None = None  # the worst gap of any measure on the new batch
    fairness_measure: str | None = None  # whose gap it is
    gate_failed: tuple[str, ...] = ()  # the text of each failed check
    gate_checks: int | None = None
    missing: tuple[str, ...] = ()  # reports this commit's files could not give


def page_link(row: BatchRow) -> str:
    """The batch's exported reports page, relative to the history page."""
    return f"{EXPORTS}/{row.short}/index.html"


def render_history(rows: list[BatchRow], *, branch: str) -> str:
    """The whole page for the batch commits of `branch`, oldest first."""
    if not rows:
        body = (
            f'<p id="summary">No batch commits on <b>{escape(branch)}</b> yet. A batch commit '
            "carries a <code>Batch:</code> trailer in its message: <code>make replay "
            "TO=...</code> makes one for each batch it lands, retrains and decides on.</p>"
        )
    else:
        body = f"""<p id="summary">{escape(summary(rows, branch))}</p>
<p>Each batch is one commit of <b>{escape(branch)}</b> (its <code>Batch:</code> trailer); its
numbers are read back from that commit's reports with DVC, and its batch and commit link to
that commit's own reports page. <b>Champion before retraining</b>: the model in production,
scored on the new batch it never saw (the decay). <b>Retrained</b>: the model trained with
the batch, on the same rows. The <b>difference</b> is retrained minus champion with its
{_level(rows)} paired bootstrap interval{_direction(rows)}; McNemar's p says how likely a
split of the rows only one model labels right this uneven is by chance.</p>
<div class="charts" id="charts">{"".join(charts(rows))}</div>
{table(rows)}"""
    return f"""<!doctype html>
<html lang="en"><head><meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>The loop over time: {escape(branch)}</title><style>{STYLE}{EXTRA_STYLE}</style></head>
<body>
<h1>The loop over time</h1>
{body}
</body></html>
"""


def summary(rows: list[BatchRow], branch: str) -> str:
    promoted = sum(row.promoted for row in rows)
    failed = sum(row.gate == "failed" for row in rows)
    span = rows[0].batch if len(rows) == 1 else f"{rows[0].batch}..{rows[-1].batch}"
    return (
        f"{len(rows)} batch{'es' if len(rows) > 1 else ''} on {branch}, {span}: "
        f"{promoted} promoted the retrained model, {len(rows) - promoted} kept the champion; "
        f"the gate failed on {failed}."
    )


def charts(rows: list[BatchRow]) -> list[str]:
    """Scores before and after retraining, their difference, and the drift share."""
    batches = [row.batch for row in rows]
    links = [page_link(row) for row in rows]
    metric = _metric(rows)
    level = _level(rows)
    whiskers = [
        (row.decay + row.low, row.decay + row.high)
        if None not in (row.decay, row.low, row.high)
        else None
        for row in rows
    ]
    return [
        batch_chart(
            f"{metric} on each new batch",
            batches,
            {
                f"retrained ({level} interval against the champion)": [
                    row.retrained for row in rows
                ],
                "champion before retraining": [row.decay for row in rows],
            },
            metric,
            intervals=whiskers,
            links=links,
        ),
        batch_chart(
            f"Retrained minus champion, {level} interval",
            batches,
            {f"difference in {metric}": [row.difference for row in rows]},
            f"difference in {metric}",
            intervals=[
                (row.low, row.high) if None not in (row.low, row.high) else None for row in rows
            ],
            links=links,
            zero_line=True,
        ),
        batch_chart(
            "Share of drifted feature columns",
            batches,
            {"drifted share": [row.drift_share for row in rows]},
            "share of feature columns",
            links=links,
            y_range=(0.0, 1.0),
        ),
    ]


def table(rows: list[BatchRow]) -> str:
    head = (
        "<tr><th>batch</th><th>commit</th><th>champion before retraining</th>"
        f"<th>retrained</th><th>difference ({_level(rows)} interval)</th><th>McNemar p</th>"
        "<th>drift share</th><th>worst fairness gap</th><th>gate</th><th>decision</th></tr>"
    )
    body = "".join(_row(row) for row in reversed(rows))  # the newest batch first
    return (
        f'<table id="history">{head}{body}</table>\n<p>Newest batch first; the metric is '
        f"{escape(_metric(rows))}. Open a batch for its gate's checks, drift by column, "
        "fairness by group and every report of that commit.</p>"
    )


def _row(row: BatchRow) -> str:
    link = escape(page_link(row))
    fairness = _number(row.fairness_gap)
    if row.fairness_measure and row.fairness_gap is not None:
        fairness += f'<div class="measure">{escape(row.fairness_measure.replace("_", " "))}</div>'
    missing = (
        f'<div class="missing">not readable at this commit: {escape(", ".join(row.missing))}</div>'
        if row.missing
        else ""
    )
    return (
        f'<tr class="{"promote" if row.promoted else "keep"}" data-batch="{escape(row.batch)}">'
        f'<td><a href="{link}">{escape(row.batch)}</a>{missing}</td>'
        f'<td><a href="{link}" title="{escape(row.subject)}"><code>{escape(row.short)}</code>'
        "</a></td>"
        f"{_cell('decay', row.decay, _compared(row, row.decay))}"
        f"{_cell('retrained', row.retrained)}"
        f"{_difference_cell(row)}"
        f"{_cell('mcnemar', row.mcnemar_p, _p_value(row.mcnemar_p))}"
        f"{_cell('drift', row.drift_share)}"
        f'<td class="num" data-name="fairness" data-value="{_raw(row.fairness_gap)}">'
        f"{fairness}</td>"
        f'<td class="verdict {"pass" if row.gate == "passed" else "fail"}" '
        f'title="{escape("; ".join(row.gate_failed))}">{escape(gate_text(row))}</td>'
        f'<td class="decision">{escape(decision_text(row))}</td></tr>'
    )


def _cell(name: str, value: float | None, text: str | None = None) -> str:
    shown = text if text is not None else _number(value)
    return f'<td class="num" data-name="{name}" data-value="{_raw(value)}">{escape(shown)}</td>'


def _difference_cell(row: BatchRow) -> str:
    return (
        f'<td class="num" data-name="difference" data-value="{_raw(row.difference)}" '
        f'data-low="{_raw(row.low)}" data-high="{_raw(row.high)}">'
        f"{escape(difference_text(row))}</td>"
    )


def difference_text(row: BatchRow) -> str:
    """`+0.012 (-0.004..+0.020)`, the point difference alone without an interval, or why
    there is none."""
    if row.difference is None:
        return _compared(row, None) or metric_text(None)
    text = metric_text(row.difference, signed=True)
    if row.low is not None and row.high is not None:
        text += f" ({metric_text(row.low, signed=True)}..{metric_text(row.high, signed=True)})"
    return text


def gate_text(row: BatchRow) -> str:
    if row.gate == "passed" or not row.gate_checks:
        return row.gate
    return f"failed: {len(row.gate_failed)} of {row.gate_checks} checks"


def decision_text(row: BatchRow) -> str:
    return "promoted" if row.promoted else "kept the champion"


def markdown(rows: list[BatchRow]) -> str:
    """The rows as a Markdown table, newest first (the retrain pull request's)."""
    lines = [
        f"| batch | commit | champion before retraining ({_metric(rows)}) | retrained | "
        f"difference ({_level(rows)} interval) | drift share | worst fairness gap | gate | "
        "decision |",
        "|---|---|---|---|---|---|---|---|---|",
    ]
    lines += [
        f"| {row.batch} | {row.short} | {_compared(row, row.decay) or _number(row.decay)} | "
        f"{_number(row.retrained)} | {difference_text(row)} | {_number(row.drift_share)} | "
        f"{_number(row.fairness_gap)} | {gate_text(row)} | {decision_text(row)} |"
        for row in reversed(rows)
    ]
    return "\n".join(lines)


def _compared(row: BatchRow, value: float | None) -> str | None:
    """Why a champion's number is missing: there was none, or it could not be scored."""
    if value is None and row.status and row.status != COMPARED:
        return row.status
    return None


def _metric(rows: list[BatchRow]) -> str:
    return next((row.metric for row in reversed(rows) if row.metric), "the primary metric")


def _level(rows: list[BatchRow]) -> str:
    level = next((row.level for row in reversed(rows) if row.level), 0.95)
    return f"{level:.0%}"


def _direction(rows: list[BatchRow]) -> str:
    if all(row.higher_is_better for row in rows):
        return " (above 0: the retrained model is better)"
    return f" (lower {_metric(rows)} is better: below 0, the retrained model is better)"


def _p_value(value: float | None) -> str:
    """As the gate's champion check states it: compare.json rounds p to six decimals."""
    if value is None:
        return metric_text(None)
    return "<0.001" if value < 0.001 else f"{value:.3f}"


def _number(value: float | None) -> str:
    return metric_text(value)


def _raw(value: float | None) -> str:
    """A cell's exact number, for a reader of the page (and its tests); empty when none."""
    number = measured(value)
    return "" if number is None else repr(number)
