"""Stage compare: the new model against the champion, on the same holdout and newest-batch rows.

The champion is what `pipeline champion` pinned in paths.champion (the production model, or the
base branch's). Writes <paths.compare>.json (both models' metrics per split, the difference and
how sure it is, both models' fairness, group by group, across the groups of dataset.analysis,
row counts and a fingerprint of the rows) and, under paths.compare, both models' curves on the
newest batch: ROC for classification; for regression the share of rows within each absolute
error (a REC curve), where the higher curve is the better model. A multi-class comparison has no
curve: its metrics (one-vs-rest ROC AUC, accuracy, F1) say it.
"""

from pathlib import Path

import numpy as np
import pandas as pd
from omegaconf import DictConfig

from pipeline.config import Reports
from pipeline.io import atomic_dir, write_json
from pipeline.lifecycle.pinned import MODEL_FILE, describe, read_pin
from pipeline.modeling import model_file
from pipeline.modeling.comparison import COMPARED, Groups, compare
from pipeline.stages.common import run_stage

CURVE_POINTS = 200  # points of each curve: enough to draw, small enough to diff


def main(params: DictConfig) -> str:
    paths, analysis = params.paths, params.dataset.analysis
    folder = Path(paths.champion)
    pin = read_pin(folder)
    champion = model_file.load(folder / MODEL_FILE) if pin is not None else None
    reason = "" if pin else f"nothing is pinned in {folder} (`make champion` pins one)"
    challenger = model_file.load(paths.model)
    frames = {split: pd.read_parquet(paths[split]) for split in ("holdout", "current")}
    result, scores = compare(
        champion,
        challenger,
        frames,
        target=params.dataset.target,
        threshold=params.evaluate.threshold,
        id_columns=list(params.dataset.id_columns),
        seed=params.seed,
        reason=reason,
        groups=Groups(tuple(analysis.groups), analysis.min_group_rows),
    )
    result["champion_pin"] = pin
    result["champion_name"] = describe(pin)
    with atomic_dir(paths.compare) as out:
        curved = [] if result["task"] == "multiclass" else scores["current"].columns.drop("label")
        for role in curved:
            table = scores["current"][["label", role]].dropna()
            if table.empty:  # the newest batch has no labels yet: no curve to draw
                continue
            curve = (rec_curve if result["task"] == "regression" else roc_curve)(table, role)
            (out / role).mkdir()
            write_json(curve, out / role / f"{curve_name(result['task'])}.json")
    write_json(result, Reports(paths).comparison)
    if result["status"] != COMPARED:
        return f"{result['status']}: {result['reason']}"
    primary = result["primary"]
    old, new = (result[role]["current"].get(primary) for role in ("champion", "challenger"))
    shown = "no labels" if old is None or new is None else f"{old:.3f} -> {new:.3f}"
    return f"champion {result['champion_name']}: newest batch {primary} {shown}"


def curve_name(task: str) -> str:
    return "rec" if task == "regression" else "roc"


def roc_curve(table: pd.DataFrame, role: str) -> list[dict]:
    from sklearn.metrics import roc_curve as sklearn_roc

    fpr, tpr, _ = sklearn_roc(table["label"], table[role], drop_intermediate=True)
    keep = _thin(len(fpr))
    return [
        {"fpr": round(float(f), 6), "tpr": round(float(t), 6)}
        for f, t in zip(fpr[keep], tpr[keep], strict=True)
    ]


def rec_curve(table: pd.DataFrame, role: str) -> list[dict]:
    """The share of rows whose absolute error is at most each value, from 0 to the largest."""
    errors = np.sort(np.abs(table[role].to_numpy() - table["label"].to_numpy()))
    keep = _thin(len(errors))
    shares = (np.arange(len(errors)) + 1) / len(errors)
    return [
        {"abs_error": round(float(e), 6), "share_within": round(float(s), 6)}
        for e, s in zip(errors[keep], shares[keep], strict=True)
    ]


def _thin(count: int) -> np.ndarray:
    """Indices of at most CURVE_POINTS points, the first and last always kept."""
    return np.unique(np.linspace(0, count - 1, min(count, CURVE_POINTS)).round().astype(int))


if __name__ == "__main__":
    run_stage("compare", main)
