"""Training on a Dask cluster: xgboost.dask on the partitioned training table.

The saved model is the same sklearn pipeline the pandas engine saves (derived columns,
preprocessing, an XGBClassifier or XGBRegressor), so serving, evaluation and the model file
do not know which engine trained it. Only the fit differs: the preprocessing is fitted on the
categorical columns' distinct values (exactly what it learns from the whole table), each
partition is transformed where it lives, and XGBoost's Dask interface trains on them.
"""

from __future__ import annotations

import tempfile
from pathlib import Path

import pandas as pd
from sklearn.base import is_classifier
from sklearn.pipeline import Pipeline

from pipeline.engine.parts import part_files
from pipeline.modeling.derived import DerivedColumns
from pipeline.modeling.left_out import Seen, combine, seen


def fit_on_cluster(
    pipeline: Pipeline, table: str | Path, columns: list[str], target: str
) -> tuple[Pipeline, int]:
    """Fit `pipeline` (its estimator an XGBoost model) on the cluster; return it and the rows."""
    from xgboost import dask as dxgb

    derive, preprocess, estimator = (step for _, step in pipeline.steps)
    frame = _table(table, [*columns, target])
    derive.fit(frame[columns].head(1))
    derived = frame[columns].map_partitions(derive.transform)
    preprocess.fit(_distinct_values(derived, preprocess))
    meta = preprocess.transform(derived._meta_nonempty).iloc[:0]
    inputs = derived.map_partitions(preprocess.transform, meta=meta)
    learner = dxgb.DaskXGBClassifier if is_classifier(estimator) else dxgb.DaskXGBRegressor
    distributed = learner(**estimator.get_params())
    distributed.fit(inputs, frame[target])
    with tempfile.TemporaryDirectory() as folder:  # XGBoost's own format, sklearn fields too
        saved = Path(folder) / "model.ubj"
        distributed.save_model(saved)
        estimator.load_model(saved)
    return pipeline, int(frame.shape[0].compute())


def seen_on_cluster(
    table: str | Path, columns: list[str], derived: dict, features: list[str]
) -> dict[str, Seen]:
    """What the model's features hold in the table's rows (see modeling/left_out.py), each
    part summed up where it lives."""
    import dask

    derive = DerivedColumns(derived)
    parts = _table(table, columns).to_delayed()
    found = dask.compute(*(dask.delayed(_seen_in_part)(part, derive, features) for part in parts))
    return combine(found)


def _seen_in_part(part: pd.DataFrame, derive: DerivedColumns, features: list[str]):
    return seen(derive.transform(part), features)


def _table(table: str | Path, columns: list[str]):
    """The table's `columns` as a Dask frame of one partition per part, always: read_parquet
    may merge small parts for one column and not for another, and XGBoost needs the inputs
    and the label partitioned alike."""
    import dask.dataframe as dd

    parts = part_files(table)
    meta = pd.read_parquet(parts[0], columns=columns).iloc[:0]
    return dd.from_map(_read_columns, parts, columns=columns, meta=meta, enforce_metadata=False)


def _distinct_values(derived, preprocess) -> pd.DataFrame:
    """A small frame holding each column's distinct values (categorical columns) or one
    value (the rest): fitting the preprocessing on it learns what the whole table teaches."""
    categorical = next(cols for name, _, cols in preprocess.transformers if name == "categorical")
    import dask

    # A tree of per-partition distinct values, no shuffle: few values per column.
    found = dask.compute(*(derived[c].dropna().drop_duplicates(split_out=1) for c in categorical))
    values = {c: series.tolist() for c, series in zip(categorical, found, strict=True)}
    length = max([len(v) for v in values.values()] + [1])
    sample = derived.head(1)
    padded = {}
    for column in sample.columns:
        if values.get(column):
            distinct = sorted(values[column])
            padded[column] = distinct + [distinct[0]] * (length - len(distinct))
        else:
            padded[column] = [sample[column].iloc[0]] * length
    return pd.DataFrame(padded).astype(sample.dtypes.to_dict())


def _read_columns(part: Path, columns: list[str]) -> pd.DataFrame:
    return pd.read_parquet(part, columns=columns)
