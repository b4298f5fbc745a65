"""reports/index.html: one page with the gate's verdict, key metrics, plots and every report.

Plain HTML with inline SVG, so it opens from disk, offline, with no server and no script.
"""

from __future__ import annotations

import json
import re
from collections import Counter
from html import escape
from pathlib import Path
from typing import Any

from pipeline.reporting.charts import bar_chart, curves_chart, line_chart, scatter_chart
from pipeline.reporting.numbers import metric_text

# The page's metric table, per task.
KEY_METRICS = {
    "classification": [
        "roc_auc",
        "pr_auc",
        "precision",
        "recall",
        "f1",
        "brier",
        "calibration_error",
    ],
    "multiclass": ["roc_auc", "accuracy", "f1_macro", "f1_weighted", "log_loss", "majority_share"],
    "regression": ["rmse", "mae", "r2", "mape", "bias", "target_mean"],
}

# A scatter of these fields shows where a perfect model's points would lie.
GUIDES = {"actual": "diagonal", "residual": "zero"}

STYLE = """
body{font:15px/1.45 system-ui,sans-serif;margin:2rem auto;max-width:64rem;color:#222;padding:0 1rem}
h1{font-size:1.5rem}h2{font-size:1.15rem;margin-top:2rem}
table{border-collapse:collapse;margin:.5rem 0}
td,th{padding:.25rem .7rem;border-bottom:1px solid #ddd}
th{text-align:left}td.num{text-align:right;font-variant-numeric:tabular-nums;white-space:nowrap}
.pass{color:#17692b}.fail{color:#b3261e;font-weight:600}
#verdict{padding:.6rem 1rem;border-radius:6px;font-size:1.1rem}
#verdict.pass{background:#e6f4ea}#verdict.fail{background:#fce8e6}
.charts{display:flex;flex-wrap:wrap;gap:1rem}svg{background:#fff;border:1px solid #eee}
svg text{font:11px system-ui,sans-serif;fill:#333}svg .title{font-size:13px;font-weight:600}
svg .title,svg .label,svg .tick{text-anchor:middle}svg .end{text-anchor:end}
svg .area{fill:none;stroke:#bbb}code{background:#f4f4f4;padding:0 .2rem}
"""


def _records(data: Any) -> list[dict]:
    """DVC plot files hold a list of rows, or one key whose value is that list."""
    if isinstance(data, dict) and len(data) == 1:
        data = next(iter(data.values()))
    return list(data)


def _interpolate(text: str, paths: dict[str, str]) -> str:
    return re.sub(r"\$\{paths\.(\w+)\}", lambda match: paths[match.group(1)], text)


def dvc_plots(plots: list, paths: dict[str, str]) -> list[str]:
    """The plots dvc.yaml declares, drawn as the page shows them (like `dvc plots show`).

    dvc.yaml declares the plots of both tasks; a plot whose files the run did not write
    (the other task's) is left out.
    """
    drawn = []
    for entry in plots:
        ((key, spec),) = entry.items()
        spec = spec or {}
        template = spec.get("template", "linear")
        folder = Path(_interpolate(key, paths))
        if folder.is_dir():  # a folder of plot files: one plot per file, as DVC draws it
            for file in sorted(folder.glob("*.json")):
                rows = _records(json.loads(file.read_text()))
                drawn.append(_folder_plot(file.stem, rows, template, spec))
            continue
        files = list(spec["y"]) if isinstance(spec.get("y"), dict) else [key]
        if not all(Path(_interpolate(file, paths)).exists() for file in files):
            continue
        if isinstance(spec.get("y"), dict):
            series = {}
            for file, field in spec["y"].items():
                rows = _records(json.loads(Path(_interpolate(file, paths)).read_text()))
                name = Path(file).parent.name  # .../holdout/roc.json -> holdout
                series[name] = [(float(row[spec["x"]]), float(row[field])) for row in rows]
            labels = (spec.get("x_label", spec["x"]), spec.get("y_label", ""))
            if template == "scatter":
                fields = {spec["x"], *spec["y"].values()}
                guide = next((GUIDES[f] for f in sorted(fields) if f in GUIDES), None)
                drawn.append(scatter_chart(key, series, *labels, guide=guide))
            else:
                drawn.append(line_chart(key, series, *labels))
            continue
        rows = _records(json.loads(Path(_interpolate(key, paths)).read_text()))
        title = spec.get("title", key)
        if template == "confusion":
            drawn.append(confusion_table(title, rows, spec["x"], spec["y"]))
        elif template == "bar_horizontal":
            bars = [(str(row[spec["y"]]), float(row[spec["x"]])) for row in rows]
            drawn.append(bar_chart(title, bars, spec["x"]))
    return drawn


def _folder_plot(name: str, rows: list[dict], template: str, spec: dict) -> str:
    """One file of a folder plot: partial dependence curves, or bars per category."""
    x, y = spec["x"], spec["y"]
    title = f"{spec.get('title', '')}: {name}".lstrip(": ")
    if template == "bar_horizontal":
        return bar_chart(title, [(str(row[y]), float(row[x])) for row in rows], x)
    curves: dict[str, list[tuple[float, float]]] = {}
    for row in rows:
        curves.setdefault(str(row.get("curve", "average")), []).append(
            (float(row[x]), float(row[y]))
        )
    average = curves.pop("average", [])
    return curves_chart(title, list(curves.values()), average, name, spec.get("y_label", y))


def confusion_table(title: str, rows: list[dict], actual: str, predicted: str) -> str:
    counts = Counter((str(row[actual]), str(row[predicted])) for row in rows)
    labels = sorted({label for pair in counts for label in pair})
    head = "".join(f"<th>predicted {escape(label)}</th>" for label in labels)
    body = "".join(
        f"<tr><th>actual {escape(a)}</th>"
        + "".join(f'<td class="num">{counts[(a, p)]:,}</td>' for p in labels)
        + "</tr>"
        for a in labels
    )
    return f"<div><b>{escape(title)}</b><table><tr><th></th>{head}</tr>{body}</table></div>"


def _span(batches: list[str]) -> str:
    if not batches:
        return "none yet"
    return batches[0] if len(batches) == 1 else f"{batches[0]}..{batches[-1]}"


def _scope(data: dict, current: str, reference: str) -> str:
    """What the page judges: the newest batch against the training window, or, before a
    second batch arrives, the one batch the model learned from."""
    if not data["current"]["rows"]:
        return (
            f"One batch so far: <b>{escape(reference)}</b> ({data['reference']['rows']:,} rows) "
            "trained the model, which is judged on its holdout. Drift and decay need a newer "
            "batch: they appear when the next one lands."
        )
    return (
        f"Newest batch <b>{escape(current)}</b> ({data['current']['rows']:,} rows) against the "
        f"training window <b>{escape(reference)}</b> ({data['reference']['rows']:,} rows)."
    )


def render_index(
    *,
    gate: dict,
    data: dict,
    columns: dict[str, dict],
    model: dict,
    model_name: str,
    charts: list[str],
    links: list[tuple[str, str, str]],
    task: str = "classification",
    groups: dict | None = None,
    composition: dict | None = None,
    comparison: dict | None = None,
    left_out: dict[str, str] | None = None,
) -> str:
    """The whole page. `links` are (label, relative href, what it holds); `groups` is the
    analyze stage's groups.json, `composition` the data report's data_groups.json,
    `comparison` the compare stage's champion against the new model, `left_out` the features
    train left out, with why."""
    from pipeline.reporting import comparison_text

    verdict = "pass" if gate["passed"] else "fail"
    headline = (
        "Gate passed: every check is within its limit"
        if gate["passed"]
        else f"Gate failed: {gate['failed']} of {len(gate['checks'])} checks crossed their limit"
    )
    checks = "".join(
        f'<tr class="{"pass" if check["passed"] else "fail"}">'
        f"<td>{'pass' if check['passed'] else 'FAIL'}</td><td>{escape(check['name'])}</td>"
        f'<td class="num">{_number(check["value"])}</td>'
        f'<td class="num">{"&le;" if check["upper"] else "&ge;"} {check["limit"]:g}</td>'
        f"<td>{escape(check['detail'])}</td></tr>"
        for check in gate["checks"]
    )
    metrics = "".join(
        f"<tr><td>{escape(name)}</td><td class=num>{_number(model['holdout'].get(name))}</td>"
        f"<td class=num>{_number(model['current'].get(name))}</td></tr>"
        for name in page_metrics(task, model)
    )
    drift_rows = "".join(
        f'<tr class="{"fail" if info["drifted"] else ""}"><td>{escape(column)}</td>'
        f"<td>{escape(info['method'])}</td><td class=num>{_number(info['distance'])}</td>"
        f"<td>{'drifted' if info['drifted'] else 'stable'}</td>"
        f"<td class=num>{info['missing_reference']:.1%}</td>"
        f"<td class=num>{info['missing_current']:.1%}</td></tr>"
        for column, info in sorted(columns.items(), key=lambda item: -(item[1]["distance"] or 0))
    )
    link_items = "".join(
        f'<li><a href="{escape(href)}">{escape(label)}</a>: {escape(what)}</li>'
        for label, href, what in links
    )
    current = _span(data["current"]["batches"])
    reference = _span(data["reference"]["batches"])
    return f"""<!doctype html>
<html lang="en"><head><meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>Pipeline reports: {escape(current)}</title><style>{STYLE}</style></head>
<body>
<h1>Pipeline reports</h1>
<p>{_scope(data, current, reference)} Model: <b>{escape(model_name)}</b>.</p>
<p id="verdict" class="{verdict}">{escape(headline)}</p>
<table id="checks"><tr><th></th><th>check</th><th>value</th><th>limit</th><th></th></tr>
{checks}</table>
<p>The same checks from a shell: <code>python -m pipeline.cli check</code> (exit 0 pass,
1 fail, 2 error). Limits live in <code>conf/report/</code> (data) and the dataset's
<code>gate</code> (model quality, fairness).</p>
<h2>Key metrics</h2>
<table id="metrics">
<tr><th>metric</th><th>holdout</th><th>newest batch ({escape(current)})</th></tr>
{metrics}</table>{left_out_section(left_out or {})}
{"<h2>Against the champion</h2>" + comparison_text.html(comparison) if comparison else ""}
{fairness_section(groups or {}, task)}
{composition_section(composition or {}, task)}
<h2>Reports</h2>
<ul id="reports">{link_items}</ul>
<h2>Plots</h2>
<div class="charts">{"".join(charts)}</div>
<h2>Drift by column</h2>
<table id="drift"><tr><th>column</th><th>method</th><th>distance</th><th></th>
<th>missing (reference)</th><th>missing (newest)</th></tr>
{drift_rows}</table>
</body></html>
"""


def left_out_section(left_out: dict[str, str]) -> str:
    """The features the model does without, and why; nothing when it uses every one."""
    if not left_out:
        return ""
    items = "".join(
        f"<li><code>{escape(feature)}</code>: {escape(why)}</li>"
        for feature, why in left_out.items()
    )
    return (
        "<p>Left out of this model, as its training rows cannot teach them (the contract "
        "still checks their columns and the API still takes them; the model ignores them):</p>"
        f'<ul id="left-out">{items}</ul>'
    )


def page_metrics(task: str, model: dict) -> list[str]:
    """The metric table's rows: the task's key metrics, then a multi-class model's precision
    and recall of each class."""
    from pipeline.modeling.tasks import per_class_metrics

    return KEY_METRICS[task] + per_class_metrics(model["holdout"])


def fairness_section(groups: dict, task: str) -> str:
    """Per group column, each disparity on the newest batch and the holdout, its worst
    group, and the groups too small to judge."""
    if not groups.get("current"):
        return ""
    from pipeline.modeling.fairness_measures import measures
    from pipeline.modeling.tasks import task_info

    rows = []
    for column, result in groups["current"].items():
        holdout = groups.get("holdout", {}).get(column, {}).get("measures", {})
        for measure in measures(task_info(task)):
            seen = result["measures"][measure.name]
            worst = (
                f"{escape(seen['worst_group'])} ({seen['metric'].replace('_', ' ')} "
                f"{seen['worst_value']:.3f}; all judged {seen['overall']:.3f})"
                if seen["value"] is not None
                else f"not measured: {escape(seen['reason'])}"
            )
            rows.append(
                f"<tr><td>{escape(column)}</td><td>{escape(measure.label)}</td>"
                f'<td class="num">{_number(seen["value"])}</td>'
                f'<td class="num">{_number(holdout.get(measure.name, {}).get("value"))}</td>'
                f"<td>{worst}</td></tr>"
            )
    small = "".join(
        f"<li>{escape(column)}: {escape(', '.join(result['too_small']))}</li>"
        for column, result in groups["current"].items()
        if result["too_small"]
    )
    small = (
        f"<p>Too small to judge (under {groups.get('min_group_rows', '?')} rows in the newest "
        f"batch):</p><ul id=too-small>{small}</ul>"
        if small
        else ""
    )
    return f"""<h2>Fairness across groups</h2>
<p>The largest difference between two groups of each column.
The gate judges the newest batch (limits in <code>dataset.gate</code>). Parity measures
describe the model's behaviour; they are not proof that it is fair.</p>
<table id="fairness"><tr><th>column</th><th>measure</th><th>newest batch</th><th>holdout</th>
<th>worst group (newest batch)</th></tr>
{"".join(rows)}</table>
{small}"""


def composition_section(composition: dict, task: str) -> str:
    """Per group: its share of rows and its target rate, reference against newest."""
    if not composition:
        return ""
    rate = {"regression": "target mean", "multiclass": "class shares"}.get(task, "target rate")
    rows = "".join(
        f"<tr><td>{escape(column)}</td><td>{escape(row['group'])}</td>"
        f'<td class="num">{row["reference_share"]:.1%}</td>'
        f'<td class="num">{row["current_share"]:.1%}</td>'
        f'<td class="num">{_target(row["reference_target"])}</td>'
        f'<td class="num">{_target(row["current_target"])}</td></tr>'
        for column, table in composition.items()
        for row in table
    )
    return f"""<h2>Who is in the data</h2>
<table id="composition"><tr><th>column</th><th>group</th><th>share (reference)</th>
<th>share (newest)</th><th>{rate} (reference)</th><th>{rate} (newest)</th></tr>
{rows}</table>"""


def _target(value: float | dict | None) -> str:
    """A group's target rate, or (multiclass) each class's share of its rows."""
    if isinstance(value, dict):
        return escape(", ".join(f"{label} {share:.0%}" for label, share in value.items()))
    return _number(value)


def _number(value: float | None) -> str:
    return metric_text(value)
