"""A dataset's contracts: one per table for raw and interim data, and one for the features.

They come from the dataset's Python (a dotted path in `dataset.contracts`) or, for a dataset
described by config alone, from the column rules in its contract file (`dataset.contract_file`,
conf/columns/NAME.yaml): a file, not params, so DVC tracks it as one dependency of the stages
that apply it and `dvc exp show` is not a column per rule.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

import pandera.pandas as pa
from omegaconf import DictConfig, OmegaConf
from omegaconf.errors import OmegaConfBaseException

from pipeline.config import ColumnRules, ColumnSpec
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
        contracts = declared_contracts(dataset, read_column_rules(dataset["contract_file"]))
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


def read_column_rules(path: str | Path) -> DictConfig:
    """The column rules in `path` (conf/columns/NAME.yaml), checked against `ColumnRules`:
    a misspelt rule or a wrong type fails here, naming the file. The values are returned as
    written (a rule `min: 1950` stays an int in the check's name)."""
    where = ""
    try:
        rules = OmegaConf.load(path)
        checked = OmegaConf.merge(OmegaConf.structured(ColumnRules), rules)
        # OmegaConf types a dict of dicts' values only one level down: check each column.
        for table, specs in checked.columns.items():
            for name, spec in specs.items():
                where = f"columns.{table}.{name}: "
                OmegaConf.merge(OmegaConf.structured(ColumnSpec), spec)
    except FileNotFoundError:
        raise ConfigError(f"dataset.contract_file={str(path)!r}: no such file") from None
    except (OmegaConfBaseException, ValueError) as error:
        raise ConfigError(f"{path}: {where}{error}".splitlines()[0]) from None
    return OmegaConf.merge({"columns": {}, "computed_columns": {}}, rules)


def declared_contracts(dataset: Mapping, rules: Mapping) -> DatasetContracts:
    """Contracts from a dataset's column rules: per table, each column's type and rules."""
    where = dataset.get("contract_file") or "the column rules"
    if not rules["columns"]:
        raise ConfigError(f"{where}: no columns declared (and dataset.contracts is null)")
    raw = {}
    for table in dataset["tables"]:
        specs = rules["columns"].get(table)
        if not specs:
            raise ConfigError(f"{where}: columns.{table}: no columns declared")
        raw[table] = pa.DataFrameSchema(
            {
                name: declared_column(f"{where}: columns.{table}.{name}", spec)
                for name, spec in specs.items()
            },
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
    computed = rules.get("computed_columns") or {}
    columns |= {
        name: declared_column(f"{where}: computed_columns.{name}", spec)
        for name, spec in computed.items()
    }
    features = pa.DataFrameSchema(columns).update_columns(
        {name: {"required": False} for name in columns}
    )
    return DatasetContracts(raw=raw, interim=raw, features=features_schema(features.columns))


def declared_column(where: str, spec: Mapping) -> pa.Column:
    """One column's contract from its declared type and rules."""
    kind = spec["type"]
    if kind not in TYPES:
        raise ConfigError(f"{where}.type={kind!r}; expected one of {list(TYPES)}")
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
