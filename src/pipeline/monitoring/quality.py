"""Data-quality facts about the newest batch that need no Evidently: exact, on every row."""

from __future__ import annotations

import pandas as pd

from pipeline.data.batches import BATCH_COLUMN, batch_order


def missing_shares(frame: pd.DataFrame, columns: list[str]) -> dict[str, float]:
    """Each column's share of missing values."""
    if frame.empty:
        return dict.fromkeys(columns, 0.0)
    return {column: float(frame[column].isna().mean()) for column in columns}


def missing_increase(
    reference: pd.DataFrame, current: pd.DataFrame, columns: list[str]
) -> dict[str, float]:
    """Per column: the newest batch's missing share minus the reference's.

    Some columns are missing by nature (wind gusts are only recorded when there are gusts), so
    the gate watches the change, not the level.
    """
    before = missing_shares(reference, columns)
    after = missing_shares(current, columns)
    return {column: after[column] - before[column] for column in columns}


def new_categories(
    reference: pd.DataFrame, current: pd.DataFrame, columns: list[str]
) -> dict[str, list[str]]:
    """Values of categorical columns seen in the newest batch but never in the reference."""
    found = {}
    for column in columns:
        seen = set(reference[column].dropna().astype(str).unique())
        unseen = sorted(set(current[column].dropna().astype(str).unique()) - seen)
        if unseen:
            found[column] = unseen
    return found


def new_category_share(current: pd.DataFrame, unseen: dict[str, list[str]]) -> float:
    """The share of newest rows holding at least one unseen category."""
    if current.empty or not unseen:
        return 0.0
    hit = pd.Series(False, index=current.index)
    for column, values in unseen.items():
        hit |= current[column].astype(str).isin(values)
    return float(hit.mean())


def data_summary(
    reference: pd.DataFrame,
    current: pd.DataFrame,
    drift: dict[str, dict],
    *,
    categorical: list[str],
    numeric: list[str],
    target: str,
) -> tuple[dict, dict]:
    """The compact summary the gate reads (a DVC metric), and the per-column details."""
    features = categorical + numeric
    increase = missing_increase(reference, current, features)
    worst = max(increase, key=increase.get) if increase else None
    unseen = new_categories(reference, current, categorical)
    drifted = [column for column in features if drift[column]["drifted"]]
    before, after = missing_shares(reference, features), missing_shares(current, features)
    summary = {
        "reference": {"batches": batch_order(reference[BATCH_COLUMN]), "rows": len(reference)},
        "current": {"batches": batch_order(current[BATCH_COLUMN]), "rows": len(current)},
        "drift": {
            "feature_count": len(features),
            "drifted_count": len(drifted),
            "drifted_share": round(len(drifted) / len(features), 6),
            "drifted_columns": drifted,
            "target_distance": round(drift[target]["distance"], 6) if target in drift else None,
        },
        "quality": {
            "worst_missing_column": worst,
            "worst_missing_increase": round(max(0.0, increase[worst]), 6) if worst else 0.0,
            "new_categories": unseen,
            "new_category_share": round(new_category_share(current, unseen), 6),
        },
    }
    details = {
        column: {
            **drift[column],
            "missing_reference": round(before.get(column, 0.0), 6),
            "missing_current": round(after.get(column, 0.0), 6),
        }
        for column in [*features, target]
        if column in drift
    }
    return summary, details
