"""The raw columns a model reads: what featurize keeps and what a client sends.

No scikit-learn here: featurize and the data report need these names, not the model.
"""

from __future__ import annotations

from collections.abc import Mapping


def input_columns(categorical: list[str], numeric: list[str], derived: Mapping) -> list[str]:
    """The raw columns a model reads: its features, each derived one replaced by its sources."""
    columns: list[str] = []
    for name in [*categorical, *numeric]:
        for column in derived[name]["columns"] if name in derived else [name]:
            if column not in columns:
                columns.append(column)
    return columns
