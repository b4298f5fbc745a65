"""The features table: one row per labelled example, with its batch, raw inputs and target."""

from __future__ import annotations

import pandas as pd

from pipeline.data.batches import BATCH_COLUMN
from pipeline.errors import ConfigError


def feature_table(
    frame: pd.DataFrame, *, batch_column: str, target: str, columns: list[str]
) -> tuple[pd.DataFrame, int]:
    """Keep the batch (as text), `columns` and the target; drop rows without a label.

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
    table[target] = labelled[target]  # the features contract converts 1.0 to 1 losslessly
    return table.reset_index(drop=True), len(frame) - len(labelled)
