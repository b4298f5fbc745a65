"""The monitoring gate: the report summaries held against the limits in conf/report/.

Pure and fast (no Evidently): `python -m pipeline.cli check` and the reports page both use it.
"""

from __future__ import annotations

import json
import math
from dataclasses import asdict, dataclass, replace
from functools import partial
from pathlib import Path
from typing import Any

from pipeline.config import DATA_SUMMARY, MODEL_SUMMARY, Reports
from pipeline.errors import PipelineError


@dataclass(frozen=True)
class Check:
    name: str
    value: float | None  # None: not measured (e.g. the newest batch has no labels yet)
    limit: float
    upper: bool  # True: the value must stay at or below the limit; False: at or above
    detail: str = ""
    # True: the check could not be made and must not pass (value None, detail says why).
    blocked: bool = False
    # "data": what the newest batch looks like (drift, quality), the same for any model;
    # "model": what the new model does, against the dataset's limits; "champion": the new
    # model against the champion on the same rows. Promotion weighs only the champion's
    # (lifecycle/promotion.py).
    about: str = "model"

    @property
    def passed(self) -> bool:
        if self.blocked:
            return False
        if self.value is None:
            return True
        return self.value <= self.limit if self.upper else self.value >= self.limit

    def describe(self) -> str:
        if self.blocked:
            return f"{self.name}: cannot be measured ({self.detail})"
        if self.value is None:
            return f"{self.name}: not measured ({self.detail})"
        sign = ("<=" if self.upper else ">=") if self.passed else (">" if self.upper else "<")
        text = f"{self.name}: {self.value:.3f} {sign} {self.limit:.3f}"
        return f"{text} ({self.detail})" if self.detail else text


NO_LABELS = "the newest batch has no labels yet"


def checks(
    data: dict[str, Any],
    model: dict[str, Any],
    gate: Any,
    model_gate: Any,
    task: str = "classification",
    groups: dict[str, Any] | None = None,
    comparison: dict[str, Any] | None = None,
) -> list[Check]:
    """Every check of the gate, in a fixed order, from the report summaries.

    `gate` holds the data limits (report.gate), `model_gate` the problem's quality and
    fairness limits (dataset.gate), of which the checks of `task` apply. `groups` is the
    analyze stage's groups.json, `comparison` the champion against the new model.
    """
    if data.get("waiting"):
        # One batch so far (a snapshot; the data summary says so, while a newest batch without
        # labels yet is judged on its drift): what needs a newer batch waits for it; the
        # model's quality and fairness are judged on the holdout, the rows it never trained on.
        found = [waiting(check) for check in data_checks(data, gate)]
        quality = QUALITY_CHECKS[str(task)]
        found += quality(model["holdout"], model["holdout"], model_gate, split=HOLDOUT)
        found += fairness_checks(groups or {}, model_gate, task, split="holdout")
        return found + against_champion(comparison, model_gate, task, split="holdout")
    quality = QUALITY_CHECKS[str(task)]
    found = data_checks(data, gate) + quality(model["holdout"], model["current"], model_gate)
    found += fairness_checks(groups or {}, model_gate, task)
    return found + against_champion(comparison, model_gate, task)


def against_champion(
    comparison: dict[str, Any] | None, model_gate: Any, task: str, split: str = "current"
) -> list[Check]:
    """The checks of the new model against the champion on the same rows: its primary
    metric, then, per group column and fairness measure, the group it leaves worst off."""
    if not comparison:
        return []
    fairness = fairness_against_champion(comparison, model_gate, task, split)
    return [champion_check(comparison, model_gate), *fairness]


ONE_BATCH = "one batch so far: nothing newer to judge yet"
NEWEST = "the newest batch"
HOLDOUT = "the holdout"


def waiting(check: Check) -> Check:
    """A check that needs a batch newer than the one the model learned from: not measured."""
    return Check(check.name, None, check.limit, check.upper, detail=ONE_BATCH, about=check.about)


# The champion check's name per task: `promote` finds the check by it in gate.json.
CHAMPION_CHECKS = {
    "classification": "ROC AUC drop from the champion",
    "multiclass": "ROC AUC (one-vs-rest) drop from the champion",
    "regression": "RMSE rise over the champion",
}


def champion_check(comparison: dict[str, Any], model_gate: Any) -> Check:
    """The new model against the champion on the same newest-batch rows: a ROC AUC drop
    (classification; one-vs-rest for multiclass) or a relative RMSE rise (regression)
    within the dataset's limit.

    No champion passes, saying so; a champion that cannot be scored on these rows fails,
    since nothing then shows the new model is not worse.
    """
    from pipeline.modeling.comparison import COMPARED, NO_CHAMPION

    regression = comparison["task"] == "regression"
    name = CHAMPION_CHECKS[comparison["task"]]
    limit = getattr(model_gate, f"max_champion_{'rmse_rise' if regression else 'roc_auc_drop'}")
    status = comparison["status"]
    made = partial(Check, name, limit=limit, upper=True, about="champion")
    if status == NO_CHAMPION:
        return made(None, detail=f"{NO_CHAMPION}: {comparison['reason']}")
    if status != COMPARED:
        return made(None, detail=comparison["reason"], blocked=True)
    metric = "rmse" if regression else "roc_auc"
    new = comparison["challenger"]["current"].get(metric)
    old = comparison["champion"]["current"].get(metric)
    if new is None or old is None:
        return made(None, detail=NO_LABELS)
    if not (math.isfinite(new) and math.isfinite(old)):
        return made(None, detail=CLASS_ABSENT)
    label = "RMSE" if regression else "ROC AUC"
    rows = comparison["rows"]["current"]
    detail = f"{label}: champion {old:.3f}, new model {new:.3f}, on the same {rows} rows"
    sure = (comparison.get("confidence") or {}).get("current")
    if sure is None:  # a comparison from before the intervals: the point difference
        return made(new / old - 1 if regression else old - new, detail=detail)
    # Refused only when the interval shows the new model worse by more than the limit: its
    # low end is what is judged, so noise alone does not decide.
    return made(sure["worse_by"]["low"], detail=how_sure(sure, detail))


def fairness_against_champion(
    comparison: dict[str, Any], model_gate: Any, task: str, split: str = "current"
) -> list[Check]:
    """Per group column and gated measure: no group falls further behind the whole under the
    new model than under the champion, on the same rows, by more than the measure's limit.

    How far a group is behind is measured against the same model's value for all judged
    groups, in the direction that is worse: below it for recall, precision, true positive
    rate, accuracy; above it for the false positive rate and MAE; either way for the share
    predicted positive and the mean residual. So a model that flags more rows everywhere (a
    higher false positive rate for every group) is not refused, while one that fails one group
    is. Judged per group, not on the gap between groups: when a champion leaves a gap past its
    limit, that gap moves with noise from one model to the next.
    """
    from pipeline.modeling.fairness_measures import measures
    from pipeline.modeling.tasks import task_info

    found = []
    where = "" if split == "current" else f" ({HOLDOUT})"
    for column, seen in (comparison.get("fairness") or {}).get(split, {}).items():
        for measure in measures(task_info(task)):
            limit = getattr(model_gate, f"max_{measure.name}", None)
            if limit is None:
                continue
            metrics = " and ".join(metric.replace("_", " ") for metric, _ in measure.metrics)
            name = f"{metrics} of each {column} group against the champion{where}"
            made = partial(Check, name, limit=limit, upper=True, about="champion")
            worst = _worst_group(seen, measure.metrics)
            if worst is None:
                found.append(made(None, detail="no group judged for both models with labels"))
                continue
            change, group, metric, (old, whole_old), (new, whole_new) = worst
            detail = (
                f"worst: {column} {group}, {metric.replace('_', ' ')} {new:.3f} against "
                f"{whole_new:.3f} for all groups under the new model, {old:.3f} against "
                f"{whole_old:.3f} under the champion"
            )
            found.append(made(change, detail=detail))
    return found


def _worst_group(seen: dict[str, Any], metrics: tuple[tuple[str, str], ...]):
    """(how much further behind, group, metric, (champion's, its whole), (new model's, its
    whole)) for the group that falls furthest behind under the new model, or None when no
    value is measured."""
    overall = seen.get("overall", {})
    worst = None
    for group, roles in seen.get("groups", {}).items():
        for metric, direction in metrics:
            values = [
                (roles[role].get(metric), overall.get(role, {}).get(metric))
                for role in ("champion", "challenger")
            ]
            if any(value is None for pair in values for value in pair):
                continue
            behind = [_behind(value, whole, direction) for value, whole in values]
            change = round(behind[1] - behind[0], 6)
            if worst is None or change > worst[0]:
                worst = (change, group, metric, *values)
    return worst


def _behind(value: float, whole: float, direction: str) -> float:
    """How far a group's value is behind the whole, in the direction that is worse."""
    if direction == "low":
        return whole - value
    if direction == "high":
        return value - whole
    return abs(value - whole)


def how_sure(sure: dict[str, Any], detail: str) -> str:
    """ "the low end of the 95% interval; the new model is worse by 0.012, 95% interval
    0.004..0.020 (1000 paired resamples); ..." """
    worse, level = sure["worse_by"], f"{sure['level']:.0%}"
    estimate, low, high = worse["estimate"], worse["low"], worse["high"]
    if estimate >= 0:
        said = f"worse by {estimate:.3f}, {level} interval {low:.3f}..{high:.3f}"
    else:
        said = f"better by {-estimate:.3f}, {level} interval {-high:.3f}..{-low:.3f}"
    text = (
        f"the low end of the {level} interval of the {sure['worse_by_unit']}; the new model is "
        f"{said} ({sure['resamples']} paired resamples); {detail}"
    )
    if test := sure.get("mcnemar"):
        p_value = test["p_value"]
        text += "; McNemar p<0.001" if p_value < 0.001 else f"; McNemar p={p_value:.3f}"
    return text


def fairness_checks(
    groups: dict[str, Any], model_gate: Any, task: str, split: str = "current"
) -> list[Check]:
    """Per group column and measure, the disparity on the newest batch (or, before there is
    one, the holdout) against its limit.

    A measure whose limit is null is reported by analyze but not gated.
    """
    from pipeline.modeling.fairness_measures import measures
    from pipeline.modeling.tasks import task_info

    found = []
    where = "" if split == "current" else f" ({HOLDOUT})"
    for column, result in groups.get(split, {}).items():
        too_small = result["too_small"]
        small = f"; too small to judge: {', '.join(too_small)}" if too_small else ""
        for measure in measures(task_info(task)):
            limit = getattr(model_gate, f"max_{measure.name}", None)
            if limit is None:
                continue
            seen = result["measures"][measure.name]
            name = f"{measure.label} across {column}{where}"
            if seen["value"] is None:
                found.append(Check(name, None, limit, upper=True, detail=seen["reason"] + small))
                continue
            detail = (
                f"worst group {seen['worst_group']}: {seen['metric'].replace('_', ' ')} "
                f"{seen['worst_value']:.3f} (all judged groups {seen['overall']:.3f}, "
                f"range {seen['lowest']:.3f}..{seen['highest']:.3f}){small}"
            )
            found.append(Check(name, seen["value"], limit, upper=True, detail=detail))
    return found


def data_checks(data: dict[str, Any], gate: Any) -> list[Check]:
    drifted = data["drift"]["drifted_columns"]
    missing_column = data["quality"]["worst_missing_column"]
    unseen = data["quality"]["new_categories"]
    no_labels = NO_LABELS
    found = [
        Check(
            "drifted feature share",
            data["drift"]["drifted_share"],
            gate.max_drifted_share,
            upper=True,
            detail=", ".join(drifted) if drifted else "no column drifted",
        ),
        Check(
            "target drift",
            data["drift"]["target_distance"],
            gate.max_target_drift,
            upper=True,
            detail="target distribution"
            if data["drift"]["target_distance"] is not None
            else no_labels,
        ),
        Check(
            "missing share increase",
            data["quality"]["worst_missing_increase"],
            gate.max_missing_increase,
            upper=True,
            detail=f"worst column: {missing_column}" if missing_column else "",
        ),
        Check(
            "rows with a new category",
            data["quality"]["new_category_share"],
            gate.max_new_category_share,
            upper=True,
            detail="; ".join(f"{col}: {', '.join(vals[:5])}" for col, vals in unseen.items()),
        ),
    ]
    return [replace(check, about="data") for check in found]


def classification_checks(
    holdout: dict, current: dict, model_gate: Any, split: str = NEWEST
) -> list[Check]:
    """`current` is the newest batch's metrics, or the holdout's when there is none yet."""
    labelled = current.get("roc_auc") is not None
    no_labels = NO_LABELS
    if split == HOLDOUT:
        return [
            Check("ROC AUC on the holdout", current.get("roc_auc"), model_gate.min_roc_auc, False),
            waiting(
                Check("ROC AUC drop from the holdout", None, model_gate.max_roc_auc_drop, True)
            ),
        ]
    return [
        Check(
            "ROC AUC on the newest batch",
            current.get("roc_auc"),
            model_gate.min_roc_auc,
            upper=False,
            detail="" if labelled else no_labels,
        ),
        Check(
            "ROC AUC drop from the holdout",
            holdout["roc_auc"] - current["roc_auc"] if labelled else None,
            model_gate.max_roc_auc_drop,
            upper=True,
            detail=f"holdout {holdout['roc_auc']:.3f}" if labelled else no_labels,
        ),
    ]


CLASS_ABSENT = "not every class is among the newest batch's labels"
OVR = "ROC AUC (one-vs-rest)"


def multiclass_checks(
    holdout: dict, current: dict, model_gate: Any, split: str = NEWEST
) -> list[Check]:
    """classification_checks for a multi-class model: its one-vs-rest macro ROC AUC, which
    is not measured (NaN) on rows that lack a class. `current` is the newest batch's metrics,
    or the holdout's when there is none yet."""

    def measured(metrics: dict) -> tuple[float | None, str]:
        value = metrics.get("roc_auc")
        if value is None:
            return None, NO_LABELS
        return (value, "") if math.isfinite(value) else (None, CLASS_ABSENT)

    now, why = measured(current)
    if split == HOLDOUT:
        return [
            Check(
                f"{OVR} on the holdout",
                now,
                model_gate.min_roc_auc,
                upper=False,
                detail=why.replace("newest batch", "holdout"),
            ),
            waiting(Check(f"{OVR} drop from the holdout", None, model_gate.max_roc_auc_drop, True)),
        ]
    before, before_why = measured(holdout)
    drop = before - now if now is not None and before is not None else None
    return [
        Check(f"{OVR} on the newest batch", now, model_gate.min_roc_auc, upper=False, detail=why),
        Check(
            f"{OVR} drop from the holdout",
            drop,
            model_gate.max_roc_auc_drop,
            upper=True,
            detail=f"holdout {before:.3f}"
            if drop is not None
            else why or before_why.replace("newest batch", "holdout"),
        ),
    ]


def regression_checks(
    holdout: dict, current: dict, model_gate: Any, split: str = NEWEST
) -> list[Check]:
    """`current` is the newest batch's metrics, or the holdout's when there is none yet."""
    labelled = current.get("rmse") is not None
    if split == HOLDOUT:
        return [
            Check("R² on the holdout", current.get("r2"), model_gate.min_r2, upper=False),
            waiting(Check("RMSE rise from the holdout", None, model_gate.max_rmse_rise, True)),
        ]
    return [
        Check(
            "R² on the newest batch",
            current.get("r2"),
            model_gate.min_r2,
            upper=False,
            detail="" if labelled else NO_LABELS,
        ),
        Check(
            "RMSE rise from the holdout",
            current["rmse"] / holdout["rmse"] - 1 if labelled else None,
            model_gate.max_rmse_rise,
            upper=True,
            detail=f"RMSE {current['rmse']:.3f} vs holdout {holdout['rmse']:.3f}"
            if labelled
            else NO_LABELS,
        ),
    ]


QUALITY_CHECKS = {
    "classification": classification_checks,
    "multiclass": multiclass_checks,
    "regression": regression_checks,
}


def verdict(results: list[Check]) -> dict[str, Any]:
    """The gate's outcome as plain data (for gate.json and the reports page)."""
    failed = [check for check in results if not check.passed]
    return {
        "passed": not failed,
        "failed": len(failed),
        "checks": [
            {**asdict(check), "passed": check.passed, "text": check.describe()} for check in results
        ],
    }


def read_summaries(monitoring_dir: Path) -> tuple[dict, dict]:
    """The data and model summaries the report stages wrote, or a clear error."""
    data, model = (read_summary(monitoring_dir / n) for n in (DATA_SUMMARY, MODEL_SUMMARY))
    return data, model


def read_summary(path: Path) -> dict:
    """One summary a stage wrote, or a clear error."""
    try:
        return json.loads(path.read_text())
    except FileNotFoundError as error:
        raise PipelineError(f"{path} is missing: run `dvc repro` first") from error
    except json.JSONDecodeError as error:
        raise PipelineError(f"{path} is not valid JSON: {error}") from error


@dataclass(frozen=True)
class Judged:
    """The gate on a run's reports: the summaries it read and each check's result."""

    data: dict[str, Any]
    model: dict[str, Any]
    groups: dict[str, Any]
    comparison: dict[str, Any]
    results: list[Check]


def judge(params: Any) -> Judged:
    """Hold the run's summaries (data, model, groups, comparison) to the limits in params:
    the one judgement `pipeline check` and the reports page share. A missing or unreadable
    summary is a PipelineError."""
    paths = params.paths
    data, model = read_summaries(Path(paths.monitoring))
    groups = read_summary(Reports(paths).groups)
    comparison = read_summary(Reports(paths).comparison)
    results = checks(
        data,
        model,
        params.report.gate,
        params.dataset.gate,
        params.dataset.task,
        groups,
        comparison,
    )
    return Judged(data, model, groups, comparison, results)
