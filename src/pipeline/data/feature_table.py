"""The features table: one row per labelled example, with its batch, raw inputs and target."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path

import pandas as pd
import pandera.pandas as pa

from pipeline.contracts.apply import check
from pipeline.data.batches import BATCH_COLUMN
from pipeline.engine.parts import read_part
from pipeline.engine.runner import Runner
from pipeline.errors import ConfigError, InputError


@dataclass(frozen=True)
class Featurizing:
    """How every part of the batch table becomes feature rows."""

    batch_table: str
    batch_column: str
    join: Callable | None  # the dataset's featurize: (tables, options) -> one table
    options: dict
    target: str
    classes: list | None
    columns: list[str]  # model inputs, slice and group columns
    schema: pa.DataFrameSchema  # the features contract, as part_schema gives it
    source: str  # the features table's path, as reports name it


@dataclass(frozen=True)
class PartFeatures:
    report: dict
    unlabelled: int
    rows: int
    label_sum: float
    binary: bool  # every label 0 or 1


def featurize_part(
    how: Featurizing,
    runner: Runner,
    part: Path,
    offset: int,
    others: Mapping[str, pd.DataFrame],
    table: Path,
) -> PartFeatures:
    """One part of the batch table joined with the other tables (whole: they are looked up,
    not scanned), checked against the features contract and written to `table`."""
    frame = read_part(part, offset)
    joined = how.join({how.batch_table: frame, **others}, how.options) if how.join else frame
    features, unlabelled = feature_table(
        joined,
        batch_column=how.batch_column,
        target=how.target,
        columns=how.columns,
        classes=how.classes,
    )
    checked, report = check(how.schema, features, how.source, batch_column=BATCH_COLUMN)
    runner.write(checked, table, part.name)
    label = checked[how.target] if report["valid"] else pd.Series(dtype=float)
    return PartFeatures(
        report=report,
        unlabelled=unlabelled,
        rows=len(label),
        label_sum=float(label.sum()),
        binary=bool(label.isin([0, 1]).all()),
    )


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
