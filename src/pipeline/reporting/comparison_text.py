"""The champion against the new model, as the model card, the pull request and the page show it.

One table from compare.json (the compare stage): per split, the task's key metrics of both
models on the same rows and the new model's difference, then, on the newest batch, each
fairness gap between groups (smaller is fairer), under a line naming the champion.
"""

from __future__ import annotations

from html import escape

from pipeline.modeling.comparison import COMPARED
from pipeline.modeling.fairness_measures import measures
from pipeline.modeling.tasks import task_info
from pipeline.reporting.numbers import metric_text

# The newest batch first: neither model trained on it, and the gate judges it. The holdout is
# a sample of the new training window, which may hold rows the champion trained on.
SPLITS = {"current": "newest batch", "holdout": "holdout"}
CAVEAT = (
    "The gate compares the newest batch, which neither model trained on. The holdout is drawn "
    "from the new model's training window, so it can hold rows the champion learned from: "
    "there the champion's numbers can flatter it."
)


def headline(comparison: dict) -> str:
    """Which champion, on how many rows; or why there is nothing to compare with."""
    if comparison["status"] != COMPARED:
        return f"{comparison['status'].capitalize()}: {comparison['reason']}."
    rows = ", ".join(
        f"{label} {comparison['rows'][split]:,} rows" for split, label in _splits(comparison)
    )
    name = comparison.get("champion_name", "the champion")
    return f"Champion {name} against the new model, scored on the same rows ({rows})."


def rows(comparison: dict) -> list[tuple[str, str, float | None, float | None, float | None]]:
    """(split, metric, champion, new model, new minus champion) for the task's key metrics."""
    found = []
    for split, label in _splits(comparison):
        for name in task_info(comparison["task"]).key_metrics:
            found.append(
                (
                    label,
                    name,
                    comparison["champion"].get(split, {}).get(name),
                    comparison["challenger"][split].get(name),
                    comparison["difference"].get(split, {}).get(name),
                )
            )
    return found + fairness_rows(comparison)


def fairness_rows(
    comparison: dict,
) -> list[tuple[str, str, float | None, float | None, float | None]]:
    """(split, "<measure> across <column>", champion, new model, difference) on the newest
    batch, the split the gate judges: each measure's largest gap between judged groups."""
    label = {measure.name: measure.label for measure in measures(task_info(comparison["task"]))}
    found = []
    for column, seen in (comparison.get("fairness") or {}).get("current", {}).items():
        for name, gap in seen["gaps"].items():
            old, new = gap["champion"], gap["challenger"]
            diff = None if old is None or new is None else new - old
            found.append((SPLITS["current"], f"{label[name]} across {column}", old, new, diff))
    return found


def certainty(comparison: dict) -> list[str]:
    """Per split, how sure the difference is: the paired bootstrap's interval and McNemar's
    test, in words."""
    found = []
    for split, label in _splits(comparison):
        sure = (comparison.get("confidence") or {}).get(split)
        if not sure:
            continue
        diff = sure["difference"]
        text = (
            f"{label}: new model minus champion in {sure['metric']} "
            f"{_number(diff['estimate'], signed=True)}, {sure['level']:.0%} interval "
            f"{_number(diff['low'], signed=True)}..{_number(diff['high'], signed=True)} "
            f"({sure['resamples']:,} paired resamples of the {sure['rows']:,} rows)"
        )
        if test := sure.get("mcnemar"):
            text += (
                f"; McNemar's test: {test['champion_only']:,} rows only the champion labels "
                f"right, {test['challenger_only']:,} only the new model, p={test['p_value']:.3g}"
            )
        found.append(text + ".")
    return found


def _splits(comparison: dict) -> list[tuple[str, str]]:
    """(split, label) in reading order: the newest batch, then the holdout."""
    return [(split, label) for split, label in SPLITS.items() if split in comparison["rows"]]


def _number(value: float | None, signed: bool = False) -> str:
    return metric_text(value, signed)


def markdown(comparison: dict) -> str:
    if comparison["status"] != COMPARED:
        return headline(comparison)
    lines = [headline(comparison), "", CAVEAT, ""]
    lines += ["| split | metric | champion | new model | difference |", "|---|---|---|---|---|"]
    lines += [
        f"| {split} | {name} | {_number(old)} | {_number(new)} | {_number(diff, signed=True)} |"
        for split, name, old, new, diff in rows(comparison)
    ]
    lines += [""] + [f"- {line}" for line in certainty(comparison)]
    return "\n".join(lines).rstrip()


def html(comparison: dict) -> str:
    if comparison["status"] != COMPARED:
        return f'<p id="champion-headline">{escape(headline(comparison))}</p>'
    body = "".join(
        f"<tr><td>{escape(split)}</td><td>{escape(name)}</td><td class=num>{_number(old)}</td>"
        f"<td class=num>{_number(new)}</td><td class=num>{_number(diff, signed=True)}</td></tr>"
        for split, name, old, new, diff in rows(comparison)
    )
    return (
        f'<p id="champion-headline">{escape(headline(comparison))}</p>\n'
        f"<p>{escape(CAVEAT)}</p>\n"
        '<table id="champion"><tr><th>split</th><th>metric</th><th>champion</th>'
        f"<th>new model</th><th>difference</th></tr>{body}</table>\n"
        + "".join(f'<p class="certainty">{escape(line)}</p>' for line in certainty(comparison))
    )
