"""The features table: one row per labelled example, with its batch, raw inputs and target."""

from __future__ import annotations

import pandas as pd

from pipeline.data.batches import BATCH_COLUMN
from pipeline.errors import ConfigError, InputError


def feature_table(
    frame: pd.DataFrame,
    *,
    batch_column: str,
    target: str,
    columns: list[str],
    classes: list | None = None,
) -> tuple[pd.DataFrame, int]:
    """Keep the batch (as text), `columns` and the target; drop rows without a label.

    With `classes` (the labels as they appear in the data), each label becomes its position
    in that list: the model learns 0, 1, ... whatever the labels look like.
    Returns the table and how many unlabelled rows were dropped.
    """
    missing = [c for c in [batch_column, target, *columns] if c not in frame.columns]
    if missing:
        raise ConfigError(
            f"column(s) {missing} are not in the table featurize built "
            f"(it has {list(frame.columns)}): check dataset.features, dataset.target, "
            "dataset.slices, dataset.analysis.groups and dataset.featurize"
        )
    labelled = frame[frame[target].notna()]
    # Each column once: a slice column is often a model input too.
    kept = [c for c in dict.fromkeys(columns) if c not in (batch_column, target, BATCH_COLUMN)]
    table = labelled[kept].copy()
    table.insert(0, BATCH_COLUMN, labelled[batch_column].astype(str))
    # the features contract converts 1.0 to 1 losslessly
    table[target] = labelled[target] if classes is None else encode(labelled[target], classes)
    return table.reset_index(drop=True), len(frame) - len(labelled)


def encode(labels: pd.Series, classes: list) -> pd.Series:
    """Each label's position in `classes`: by value (1.0 is 1), else as text (a file may
    type a label differently: "1" is 1)."""
    codes = {label: code for code, label in enumerate(classes)}
    as_text = {str(label): code for code, label in enumerate(classes)}
    encoded = labels.map(codes).fillna(labels.astype(str).map(as_text))
    unknown = sorted(labels[encoded.isna()].astype(str).unique())
    if unknown:
        raise InputError(
            f"target {labels.name!r} holds value(s) {unknown[:5]} outside dataset.classes "
            f"{list(classes)}: add them there (and to the target's contract), or fix the rows"
        )
    return encoded.astype("int64")
