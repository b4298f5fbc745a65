"""Data-quality facts about the newest batch that need no Evidently: exact, on every row.

They are counts added up a batch of rows at a time (`Counts`), so a table larger than memory
is summarized as exactly as one in memory (a frame is a table of one batch): missing values
per column, the categories seen, the rows holding a category the reference never had.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field

import pandas as pd

from pipeline.data.batches import BATCH_COLUMN, batch_order


@dataclass
class Counts:
    """What the summary needs from one side's rows, added up batch by batch.

    Given `known` (the reference's categories per column, when these are the newest rows),
    it also counts the rows holding a category the reference never had.
    """

    columns: list[str]  # the features
    categorical: list[str]
    known: dict[str, set[str]] | None = None
    rows: int = 0
    batches: set[str] = field(default_factory=set)
    missing: dict[str, int] = field(default_factory=dict)
    categories: dict[str, set[str]] = field(default_factory=dict)
    new_category_rows: int = 0

    def add(self, batch: pd.DataFrame) -> None:
        self.rows += len(batch)
        if BATCH_COLUMN in batch:
            self.batches |= {str(value) for value in batch[BATCH_COLUMN].unique()}
        for column in self.columns:
            self.missing[column] = self.missing.get(column, 0) + int(batch[column].isna().sum())
        hit = pd.Series(False, index=batch.index)
        for column in self.categorical:
            present = batch[column].notna()
            text = batch[column][present].astype(str)
            self.categories[column] = self.categories.get(column, set()) | set(text.unique())
            if self.known is not None:
                hit[present] |= ~text.isin(self.known.get(column, set()))
        self.new_category_rows += int(hit.sum())

    @classmethod
    def of(
        cls,
        batches: Iterable[pd.DataFrame],
        columns: list[str],
        categorical: list[str] = (),
        known: dict[str, set[str]] | None = None,
    ) -> Counts:
        counts = cls(list(columns), list(categorical), known)
        for batch in batches:
            counts.add(batch)
        return counts

    def missing_shares(self) -> dict[str, float]:
        """Each column's share of missing values."""
        if not self.rows:
            return dict.fromkeys(self.columns, 0.0)
        return {column: self.missing.get(column, 0) / self.rows for column in self.columns}


def missing_shares(frame: pd.DataFrame, columns: list[str]) -> dict[str, float]:
    """Each column's share of missing values."""
    return Counts.of([frame], columns).missing_shares()


def missing_increase(
    reference: pd.DataFrame | Counts, current: pd.DataFrame | Counts, columns: list[str]
) -> dict[str, float]:
    """Per column: the newest batch's missing share minus the reference's.

    Some columns are missing by nature (wind gusts are only recorded when there are gusts), so
    the gate watches the change, not the level.
    """
    before, after = (
        side.missing_shares() if isinstance(side, Counts) else missing_shares(side, columns)
        for side in (reference, current)
    )
    return {column: after[column] - before[column] for column in columns}


def unseen_categories(reference: Counts, current: Counts) -> dict[str, list[str]]:
    """Values of categorical columns seen in the newest batch but never in the reference."""
    found = {}
    for column in current.categorical:
        seen = reference.categories.get(column, set())
        unseen = sorted(current.categories.get(column, set()) - seen)
        if unseen:
            found[column] = unseen
    return found


def new_categories(
    reference: pd.DataFrame, current: pd.DataFrame, columns: list[str]
) -> dict[str, list[str]]:
    """Values of categorical columns seen in the newest batch but never in the reference."""
    before, after = (Counts.of([frame], [], columns) for frame in (reference, current))
    return unseen_categories(before, after)


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
    before = Counts.of([reference], features, categorical)
    after = Counts.of([current], features, categorical, known=before.categories)
    return summarize(before, after, drift, target=target)


def summarize(
    reference: Counts, current: Counts, drift: dict[str, dict], *, target: str
) -> tuple[dict, dict]:
    """The summary and details from each side's counts (the newest rows' counted against the
    reference's categories) and the drift per column (the sampled Evidently report's)."""
    features = reference.columns
    increase = missing_increase(reference, current, features)
    worst = max(increase, key=increase.get) if increase else None
    unseen = unseen_categories(reference, current)
    drifted = [column for column in features if drift[column]["drifted"]]
    before, after = reference.missing_shares(), current.missing_shares()
    share = current.new_category_rows / current.rows if current.rows and unseen else 0.0
    summary = {
        "reference": {"batches": batch_order(reference.batches), "rows": reference.rows},
        "current": {"batches": batch_order(current.batches), "rows": current.rows},
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
            "new_category_share": round(share, 6),
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
