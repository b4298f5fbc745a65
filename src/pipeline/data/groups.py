"""Groups of rows by a column's value: slices, fairness groups, the data's composition."""

from __future__ import annotations

import pandas as pd

# The group of rows whose slice or group column is missing: in slices, fairness and composition.
MISSING_GROUP = "(missing)"


def group_labels(values: pd.Series) -> pd.Series:
    """A slice or group column as text, with missing values as a group of their own."""
    text = values.astype("string").fillna(MISSING_GROUP)
    return text.astype(object)
