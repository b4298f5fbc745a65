"""A dataset's contracts: one per table for raw and interim data, and one for the features.

They come from the dataset's Python (a dotted path in `dataset.contracts`) or, for a dataset
described by config alone, from the column types it declares (`dataset.columns`).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

import pandera.pandas as pa

from pipeline.contracts.apply import row_rule
from pipeline.errors import ConfigError
from pipeline.plugins import load_object

TYPES = {"int": int, "float": float, "str": str, "bool": bool}


@dataclass(frozen=True)
class DatasetContracts:
    raw: dict[str, pa.DataFrameSchema]  # per table, as ingested
    interim: dict[str, pa.DataFrameSchema]  # per table, after `dataset.clean`
    features: pa.DataFrameSchema  # one row per example: batch, model inputs, target


def load_contracts(dataset: Mapping) -> DatasetContracts:
    """The contracts `dataset` names, or those its declared columns imply."""
    if dataset["contracts"]:
        contracts = load_object(dataset["contracts"], "dataset.contracts")
        if not isinstance(contracts, DatasetContracts):
            raise ConfigError(
                f"dataset.contracts={dataset['contracts']!r} is a {type(contracts).__name__}, "
                "not a DatasetContracts"
            )
    else:
        contracts = declared_contracts(dataset)
    missing = [t for t in dataset["tables"] if t not in contracts.raw or t not in contracts.interim]
    if missing:
        raise ConfigError(f"dataset.contracts: no contract for table(s) {missing}")
    return contracts


def with_hashed(contracts: DatasetContracts, columns: list[str]) -> DatasetContracts:
    """The contracts after ingest hashed `columns` (privacy.hash): each value is 16 hex digits
    of text, whatever type the column had (an integer id becomes text)."""

    def hashed(schema: pa.DataFrameSchema) -> pa.DataFrameSchema:
        changed = {
            name: {"dtype": str, "checks": [pa.Check.str_matches(r"^[0-9a-f]{16}$")]}
            for name in columns
            if name in schema.columns
        }
        return schema.update_columns(changed) if changed else schema

    if not columns:
        return contracts
    return DatasetContracts(
        raw={table: hashed(schema) for table, schema in contracts.raw.items()},
        interim={table: hashed(schema) for table, schema in contracts.interim.items()},
        features=hashed(contracts.features),
    )


def declared_contracts(dataset: Mapping) -> DatasetContracts:
    """Contracts from `dataset.columns`: per table, each column's type and rules."""
    if not dataset["columns"]:
        raise ConfigError("the dataset has neither contracts (a dotted path) nor columns")
    raw = {}
    for table in dataset["tables"]:
        specs = dataset["columns"].get(table)
        if not specs:
            raise ConfigError(f"dataset.columns.{table}: no columns declared")
        raw[table] = pa.DataFrameSchema(
            {name: declared_column(f"{table}.{name}", spec) for name, spec in specs.items()},
            name=f"raw {table}",
            strict=True,
        )
    # A features row may hold any table's columns (featurize joins them; the batch table's
    # rules win a name they share) and the columns featurize computes. It keeps the columns
    # the model, the slices and the target need: none is required there.
    batch_table = dataset["batch"]["table"]
    columns: dict[str, pa.Column] = {}
    for table in [*(t for t in dataset["tables"] if t != batch_table), batch_table]:
        columns |= raw[table].columns
    computed = dataset.get("computed_columns") or {}
    columns |= {
        name: declared_column(f"computed_columns.{name}", spec) for name, spec in computed.items()
    }
    features = pa.DataFrameSchema(columns).update_columns(
        {name: {"required": False} for name in columns}
    )
    return DatasetContracts(raw=raw, interim=raw, features=features_schema(features.columns))


def declared_column(where: str, spec: Mapping) -> pa.Column:
    """One column's contract from its declared type and rules."""
    kind = spec["type"]
    if kind not in TYPES:
        raise ConfigError(f"dataset.columns.{where}.type={kind!r}; expected one of {list(TYPES)}")
    checks = []
    if spec.get("min") is not None and spec.get("max") is not None:
        checks.append(pa.Check.in_range(spec["min"], spec["max"]))
    elif spec.get("min") is not None:
        checks.append(pa.Check.ge(spec["min"]))
    elif spec.get("max") is not None:
        checks.append(pa.Check.le(spec["max"]))
    if spec.get("values") is not None:
        checks.append(pa.Check.isin(list(spec["values"])))
    if spec.get("pattern"):
        checks.append(pa.Check.str_matches(spec["pattern"]))
    return pa.Column(
        TYPES[kind],
        checks,
        nullable=bool(spec.get("nullable")),
        unique=bool(spec.get("unique")),
        metadata={"allow_infinite": bool(spec.get("allow_infinite"))},
    )


def features_schema(columns: dict[str, pa.Column]) -> pa.DataFrameSchema:
    """The features contract: the batch id as text, then the given columns' rules.

    Not strict: featurize keeps only the columns the model, the slices and the target need.
    """
    return pa.DataFrameSchema({"batch": pa.Column(str), **columns}, name="features")


def with_class_codes(
    features: pa.DataFrameSchema, target: str, classes: list | None
) -> pa.DataFrameSchema:
    """The features contract once featurize has turned each label into its position in
    `classes` (dataset.classes): the target holds 0..len(classes)-1. Unchanged without."""
    if classes is None:
        return features
    kept = features.remove_columns([target]) if target in features.columns else features
    return kept.add_columns({target: pa.Column(int, pa.Check.isin(list(range(len(classes)))))})


def model_input(features: pa.DataFrameSchema, columns: list[str]) -> pa.DataFrameSchema:
    """What the estimator reads: its raw input columns, with the features contract's rules."""
    unknown = [column for column in columns if column not in features.columns]
    if unknown:
        raise ConfigError(f"model input column(s) {unknown} are not in the features contract")
    # Not strict: the frame carries other columns (batch, target); the model reads these.
    return pa.DataFrameSchema({c: features.columns[c] for c in columns}, name="model input")


def predictions(
    target: str, threshold: float, task: str = "classification", classes: int = 2
) -> pa.DataFrameSchema:
    """Scores written by evaluate: a probability per row and the decision at `threshold`
    (classification), a predicted value (regression), or (multiclass, `classes` of them) a
    probability per class, summing to 1, and the code of the most likely class."""
    columns = {
        "batch": pa.Column(str),
        "split": pa.Column(str, pa.Check.isin(["holdout", "current"])),
    }
    if str(task) == "multiclass":
        return multiclass_predictions(columns, target, classes)
    if str(task) == "regression":
        # Floats are finite unless a column allows otherwise (contracts.apply).
        columns |= {target: pa.Column(float), "prediction": pa.Column(float)}
        return pa.DataFrameSchema(name="predictions", columns=columns, strict=True)
    columns |= {
        target: pa.Column(int, pa.Check.isin([0, 1])),
        "probability": pa.Column(float, pa.Check.in_range(0.0, 1.0)),
        "predicted": pa.Column(int, pa.Check.isin([0, 1])),
    }
    return pa.DataFrameSchema(
        name="predictions",
        columns=columns,
        checks=[
            row_rule(
                ["probability", "predicted"],
                lambda df: df["predicted"] == (df["probability"] >= threshold).astype(int),
                "predicted == (probability >= evaluate.threshold)",
            )
        ],
        strict=True,
    )


def multiclass_predictions(
    columns: dict[str, pa.Column], target: str, classes: int
) -> pa.DataFrameSchema:
    codes = list(range(classes))
    probabilities = [f"probability_{code}" for code in codes]
    columns |= {target: pa.Column(int, pa.Check.isin(codes))}
    columns |= {name: pa.Column(float, pa.Check.in_range(0.0, 1.0)) for name in probabilities}
    columns |= {"predicted": pa.Column(int, pa.Check.isin(codes))}
    return pa.DataFrameSchema(
        name="predictions",
        columns=columns,
        checks=[
            row_rule(
                probabilities,
                lambda df: (df[probabilities].sum(axis=1) - 1).abs() <= 1e-6,
                "the class probabilities sum to 1",
            ),
            row_rule(
                [*probabilities, "predicted"],
                lambda df: df["predicted"] == df[probabilities].to_numpy().argmax(axis=1),
                "predicted == the class of the highest probability",
            ),
        ],
        strict=True,
    )
