"""Typed configuration: the schemas behind conf/, and the params each stage may read.

conf/ is the source of truth. It is composed into params.yaml (committed) exactly the way
`dvc exp run` composes it, and stages read params.yaml through `stage_params`, which hands a
stage only the keys dvc.yaml declares for it.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import StrEnum
from pathlib import Path
from typing import Any

import yaml
from omegaconf import MISSING, DictConfig, OmegaConf

from pipeline.errors import ConfigError

PARAMS_FILE = Path("params.yaml")
DVC_FILE = Path("dvc.yaml")


@dataclass
class PathsConfig:
    """Every file the pipeline reads or writes; dvc.yaml interpolates these."""

    raw_flights: str = "data/raw/flights.parquet"
    raw_weather: str = "data/raw/weather.parquet"
    interim_flights: str = "data/interim/flights.parquet"
    interim_weather: str = "data/interim/weather.parquet"
    features: str = "data/processed/features.parquet"
    train: str = "data/processed/train.parquet"
    holdout: str = "data/processed/holdout.parquet"
    current: str = "data/processed/current.parquet"
    model: str = "models/model.skops"
    validation: str = "reports/validation"
    evaluation: str = "reports/evaluate"


@dataclass
class DataConfig:
    """Which batches exist, which one is current, and which ones train the model."""

    source: str = "example"
    # Batch ids to ingest, oldest first. The example's batches are months: "2013-01".
    batches: list[str] = field(default_factory=list)
    # The batch that plays "newly arrived data"; null means the newest ingested batch.
    current_batch: str | None = None
    # How many batches before the current one train the model; null means all of them.
    train_window: int | None = None


@dataclass
class FeaturesConfig:
    """The target definition and the columns the model sees."""

    late_after_minutes: int = 15
    categorical: list[str] = field(default_factory=list)
    numeric: list[str] = field(default_factory=list)


class SplitMethod(StrEnum):
    random = "random"  # a stratified random sample of the training window
    last_batch = "last_batch"  # the newest batch of the training window


@dataclass
class SplitConfig:
    """How the training window is split into train and holdout."""

    method: SplitMethod = SplitMethod.random
    holdout_fraction: float = 0.2


@dataclass
class LogisticRegressionConfig:
    name: str = "logistic_regression"
    C: float = 1.0
    max_iter: int = 1000
    class_weight: str | None = None


@dataclass
class RandomForestConfig:
    name: str = "random_forest"
    n_estimators: int = 200
    max_depth: int | None = 16
    min_samples_leaf: int = 20
    max_features: float = 0.5
    class_weight: str | None = None
    n_jobs: int = 2


@dataclass
class HistGradientBoostingConfig:
    name: str = "hist_gbm"
    learning_rate: float = 0.1
    max_iter: int = 300
    max_leaf_nodes: int = 31
    min_samples_leaf: int = 20
    l2_regularization: float = 0.0
    class_weight: str | None = None


MODEL_SCHEMAS: dict[str, type] = {
    "logistic_regression": LogisticRegressionConfig,
    "random_forest": RandomForestConfig,
    "hist_gbm": HistGradientBoostingConfig,
}


@dataclass
class EvaluateConfig:
    threshold: float = 0.5  # probability above which a flight is predicted late
    slices: list[str] = field(default_factory=lambda: ["carrier", "origin"])
    min_slice_rows: int = 200  # smaller slices are too noisy to report


@dataclass
class Config:
    seed: int = 42
    paths: PathsConfig = field(default_factory=PathsConfig)
    data: DataConfig = MISSING
    features: FeaturesConfig = MISSING
    split: SplitConfig = MISSING
    # One of MODEL_SCHEMAS; each group file in conf/model/ names its own schema.
    model: Any = MISSING
    evaluate: EvaluateConfig = MISSING


def register_schemas() -> None:
    """Put the schemas in Hydra's ConfigStore so composition checks keys and types."""
    from hydra.core.config_store import ConfigStore

    store = ConfigStore.instance()
    store.store(name="config_schema", node=Config)
    for name, schema in MODEL_SCHEMAS.items():
        store.store(group="model", name=f"{name}_schema", node=schema)


_ABSENT = object()


def load_params(path: Path = PARAMS_FILE) -> DictConfig:
    """Load params.yaml and check every key and type against the schemas."""
    raw = OmegaConf.load(path)
    cfg = OmegaConf.merge(OmegaConf.structured(Config), raw)
    model_name = cfg.model.get("name")
    if model_name not in MODEL_SCHEMAS:
        raise ConfigError(
            f"{path}: model.name={model_name!r}; expected one of {list(MODEL_SCHEMAS)}"
        )
    cfg.model = OmegaConf.merge(OmegaConf.structured(MODEL_SCHEMAS[model_name]), cfg.model)
    return cfg


def declared_params(stage: str, dvc_file: Path = DVC_FILE) -> list[str]:
    """The param keys dvc.yaml lists for one stage (keys of params.yaml only)."""
    stages = yaml.safe_load(dvc_file.read_text())["stages"]
    if stage not in stages:
        raise KeyError(f"{dvc_file}: no stage named {stage!r}")
    keys = stages[stage].get("params", [])
    for key in keys:
        if not isinstance(key, str):
            raise ConfigError(f"{dvc_file}: stage {stage!r} params must be keys of params.yaml")
    return keys


def select_params(cfg: DictConfig, keys: list[str]) -> DictConfig:
    """A read-only copy of `cfg` holding only `keys` and `paths`.

    Paths are always included: dvc.yaml interpolates them into each stage's deps and outs,
    so changing one already changes the stage.
    """
    view = OmegaConf.create({"paths": OmegaConf.to_container(cfg.paths)})
    for key in keys:
        value = OmegaConf.select(cfg, key, default=_ABSENT, throw_on_missing=True)
        if value is _ABSENT:
            raise KeyError(f"dvc.yaml declares param {key!r}, which params.yaml does not have")
        OmegaConf.update(view, key, value, merge=False, force_add=True)
    OmegaConf.set_struct(view, True)
    OmegaConf.set_readonly(view, True)
    return view


def stage_params(stage: str) -> DictConfig:
    """The params one stage may read: exactly what dvc.yaml declares for it (plus paths)."""
    return select_params(load_params(), declared_params(stage))
