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
CONF_DIR = Path("conf")
DVC_FILE = Path("dvc.yaml")


@dataclass
class PathsConfig:
    """Every file the pipeline reads or writes; dvc.yaml interpolates these."""

    landing: str = "data/landing"
    # One Parquet file per table of the dataset: <raw>/<table>.parquet (see `table_file`).
    raw: str = "data/raw"
    interim: str = "data/interim"
    features: str = "data/processed/features.parquet"
    train: str = "data/processed/train.parquet"
    holdout: str = "data/processed/holdout.parquet"
    current: str = "data/processed/current.parquet"
    model: str = "models/model.skops"
    # The model the new one is compared with (`pipeline champion` pins it; empty: none).
    champion: str = "models/champion"
    validation: str = "reports/validation"
    evaluation: str = "reports/evaluate"
    card: str = "reports/model_card.md"
    search: str = "reports/search.json"
    monitoring: str = "reports/monitoring"
    analysis: str = "reports/analysis"  # fairness across groups, feature dependence
    compare: str = "reports/compare"  # champion against the new model: <compare>.json, plots
    index: str = "reports/index.html"


# Names of the summaries a monitoring folder holds: the pipeline's (paths.monitoring) or the
# served traffic's (serve.monitor_dir).
DATA_SUMMARY = "data.json"
DATA_COLUMNS = "data_columns.json"
MODEL_SUMMARY = "model.json"
GATE_VERDICT = "gate.json"
# Every scored row of the holdout and the current batch, under paths.evaluation.
PREDICTIONS = "predictions.parquet"


@dataclass(frozen=True)
class Reports:
    """Where each stage's report lives, from `params.paths`: the one home of their names."""

    paths: Any  # params.paths, or any mapping with its keys

    def validation(self, stage: str) -> Path:
        """A table stage's contract report (ingest, validate, featurize, train, evaluate)."""
        return Path(self.paths["validation"]) / f"{stage}.json"

    @property
    def ingest(self) -> Path:
        return self.validation("ingest")

    @property
    def metrics(self) -> Path:
        return Path(self.paths["evaluation"]) / "metrics.json"

    @property
    def predictions(self) -> Path:
        """Every scored row of the holdout and the current batch."""
        return Path(self.paths["evaluation"]) / PREDICTIONS

    @property
    def importance(self) -> Path:
        """Permutation importance per feature on the holdout, most important first."""
        return Path(self.paths["analysis"]) / "importance.csv"

    @property
    def importance_plot(self) -> Path:
        """The same rows as a DVC plot (bars)."""
        return Path(self.paths["analysis"]) / "importance.json"

    @property
    def groups(self) -> Path:
        return Path(self.paths["analysis"]) / "groups.json"

    @property
    def fairness(self) -> Path:
        """Each fairness measure's worst gap over the group columns, per split (a DVC metric)."""
        return Path(self.paths["analysis"]) / "fairness.json"

    @property
    def comparison(self) -> Path:
        return Path(f"{self.paths['compare']}.json")

    @property
    def data(self) -> Path:
        return Path(self.paths["monitoring"]) / DATA_SUMMARY

    @property
    def data_groups(self) -> Path:
        return Path(self.paths["monitoring"]) / "data_groups.json"

    @property
    def data_columns(self) -> Path:
        return Path(self.paths["monitoring"]) / DATA_COLUMNS

    @property
    def model(self) -> Path:
        return Path(self.paths["monitoring"]) / MODEL_SUMMARY

    @property
    def gate(self) -> Path:
        """The gate's verdict on the run (report_index writes it; `pipeline check` prints it)."""
        return Path(self.paths["monitoring"]) / GATE_VERDICT


def table_file(folder: str | Path, table: str) -> Path:
    """Where a table of the dataset lives in a layer (paths.raw or paths.interim)."""
    return Path(folder) / f"{table}.parquet"


class Task(StrEnum):
    classification = "classification"  # two classes; the model gives the positive's probability
    multiclass = "multiclass"  # three or more classes; the model gives each class's probability
    regression = "regression"  # a numeric target; the model gives a value


class BatchPeriod(StrEnum):
    """How a date becomes a batch id: ids sort as text in time order."""

    year = "year"  # 2013
    quarter = "quarter"  # 2013-Q3
    month = "month"  # 2013-07
    week = "week"  # 2013-W27 (ISO weeks: Monday first; the ISO year at the turn of a year)
    day = "day"  # 2013-07-04


@dataclass
class BatchConfig:
    """Which table's rows carry the batch they arrived in, and in which column."""

    table: str = MISSING
    # The batch id column (any values: 1994, "2013-07", "week-12"). A landed file without it
    # takes its batch id from its file name: orders/2013-07.csv -> "2013-07".
    column: str = "batch"
    # Or a date column cut into batches: ingest writes each row's period (`by`) into
    # `column`, the same way for every file that lands later. Dates may be ISO text or
    # timestamps; times with a zone are taken in UTC.
    date: str | None = None
    by: BatchPeriod | None = None


@dataclass
class DatasetFeatures:
    """The columns the estimator sees, after the derived columns are added."""

    categorical: list[str] = field(default_factory=list)
    numeric: list[str] = field(default_factory=list)


@dataclass
class DerivedColumn:
    """A column computed from others inside the saved model (see modeling/derived.py)."""

    op: str = MISSING
    columns: list[str] = field(default_factory=list)


@dataclass
class ModelGateConfig:
    """Limits of the gate that depend on the problem: what quality is good enough here.

    The checks of the dataset's task apply: ROC AUC for classification (one-vs-rest for
    multiclass), R² and RMSE for regression.
    """

    min_roc_auc: float = 0.6  # on the newest labelled batch
    max_roc_auc_drop: float = 0.05  # holdout ROC AUC minus the newest batch's
    min_r2: float = 0.0  # on the newest labelled batch: 0 is no better than its mean
    max_rmse_rise: float = 0.25  # newest batch's RMSE over the holdout's, minus 1
    # Against the champion (the production model), scored on the same newest-batch rows:
    # how much worse the new model may be before the gate stops it.
    max_champion_roc_auc_drop: float = 0.01  # champion's ROC AUC minus the new model's
    max_champion_rmse_rise: float = 0.02  # new model's RMSE over the champion's, minus 1
    # Fairness on the newest batch, for each column of analysis.groups: the largest
    # difference between two groups judged. null: reported, not gated.
    max_demographic_parity_difference: float | None = 0.2  # share predicted positive
    max_equalized_odds_difference: float | None = 0.2  # the larger of the TPR and FPR gaps
    max_recall_gap: float | None = 0.2
    max_precision_gap: float | None = 0.2
    max_accuracy_gap: float | None = 0.2  # multiclass: share of rows given their true class
    max_macro_recall_gap: float | None = 0.2  # multiclass: mean of the classes' recalls
    # Regression gaps are in the target's units, so only the dataset can set them.
    max_mae_gap: float | None = None
    max_mean_residual_gap: float | None = None


@dataclass
class DependenceConfig:
    """Partial dependence with individual curves for the most important features."""

    features: int = 3  # the top features by permutation importance
    rows: int = 1000  # holdout rows (drawn with `seed`) whose predictions are averaged
    curves: int = 50  # individual curves kept for the plots, of those rows
    grid: int = 20  # values of each feature, between its 5th and 95th percentiles


@dataclass
class AnalysisConfig:
    """Model analysis beyond overall metrics (the `analyze` stage)."""

    # Columns whose groups must be treated alike: each gets per-group metrics and the
    # disparities between its groups, on the holdout and the newest batch.
    groups: list[str] = field(default_factory=list)
    min_group_rows: int = 200  # a smaller group is reported as too small, not judged
    dependence: DependenceConfig = field(default_factory=DependenceConfig)


@dataclass
class PackageConfig:
    """A dataset shipped inside an installed package (the examples): read by source=example."""

    reader: str | None = None  # a dotted path, called with `batches`; returns {table: frame}
    batches: list[str] = field(default_factory=list)  # the batches the package holds


@dataclass
class ApiConfig:
    """How the prediction API presents itself."""

    title: str = "Prediction API"
    description: str = ""
    row_name: str = "Row"  # the name of one request row in the OpenAPI schema


@dataclass
class ArtifactConfig:
    """The model's name in the registry (dvc.yaml artifacts, GTO tags) and its description."""

    name: str = "model"
    description: str = ""


@dataclass
class ColumnSpec:
    """One column of a dataset described by config alone: a contract without Python."""

    type: str = MISSING  # int | float | str | bool
    nullable: bool = False
    min: float | None = None
    max: float | None = None
    values: list[Any] | None = None  # the allowed set
    pattern: str | None = None  # a regular expression text values match
    unique: bool = False
    allow_infinite: bool = False


@dataclass
class ColumnRules:
    """A dataset's contract without Python: the file `dataset.contract_file` names."""

    columns: dict[str, dict[str, ColumnSpec]] = field(default_factory=dict)  # table -> column
    # The contract of columns `featurize` computes (not in any table): {column: spec}.
    computed_columns: dict[str, ColumnSpec] = field(default_factory=dict)


@dataclass
class DatasetConfig:
    """Everything the framework knows about a dataset. Nothing else in src/ names one."""

    name: str = MISSING
    description: str = ""  # one line: what the model predicts
    intended_use: str = ""  # the model card's paragraph: who may use it for what, limits
    tables: list[str] = field(default_factory=list)
    batch: BatchConfig = field(default_factory=BatchConfig)
    target: str = MISSING
    task: Task = Task.classification
    # The target's values as they appear in the data, in the order the model numbers them
    # (0, 1, ...): featurize turns each label into its position, the API answers the label.
    # Two classes: [negative, positive]. null: the target is already 0/1 (or a number).
    classes: list[Any] | None = None
    # Identifier columns: privacy=hash_ids hashes them; the model never sees them.
    id_columns: list[str] = field(default_factory=list)
    features: DatasetFeatures = field(default_factory=DatasetFeatures)
    # Row-local transforms kept inside the saved model, so the API takes raw columns.
    derived: dict[str, DerivedColumn] = field(default_factory=dict)
    slices: list[str] = field(default_factory=list)  # metrics per value of these columns
    analysis: AnalysisConfig = field(default_factory=AnalysisConfig)
    # Contracts: a dotted path to a `DatasetContracts` (Python), or null to build them from
    # the column rules in `contract_file` (config alone: conf/columns/NAME.yaml, `ColumnRules`).
    contracts: str | None = None
    # The file the contract lives in: the rules' YAML, or the Python module `contracts` names.
    # The stages that apply the contract depend on it, so editing a rule reruns exactly them,
    # and the rules stay out of params.yaml (and out of `dvc exp show`'s columns).
    contract_file: str = MISSING
    # Optional Python, by dotted path: repairs after the raw contract, and the join of the
    # tables into one row per example (with the target). Each receives `options`.
    clean: str | None = None
    featurize: str | None = None
    # `new-batch --month N` calls this dotted path with N; it returns (batch id, {table: frame}).
    new_batch: str | None = None
    # A dataset inside a package (the examples) is read by source=example through this.
    package: PackageConfig = field(default_factory=PackageConfig)
    # Where the dataset's own Python lives: the stages that run it depend on this path, so
    # DVC reruns them when it changes. A dataset without Python names src/pipeline/plugins.py.
    code: str = MISSING
    options: dict[str, Any] = field(default_factory=dict)
    gate: ModelGateConfig = field(default_factory=ModelGateConfig)
    api: ApiConfig = field(default_factory=ApiConfig)
    artifact: ArtifactConfig = field(default_factory=ArtifactConfig)


@dataclass
class CsvOptions:
    """How landed CSV files are parsed. Parquet files carry their own types."""

    delimiter: str = ","
    encoding: str = "utf-8"


@dataclass
class PythonSourceConfig:
    """Tables from a Python reader (a dotted path), plus batches landed in paths.landing since."""

    kind: str = "python"
    reader: str | None = MISSING  # called with `batches`; returns {table: DataFrame}
    batches: list[str] = field(default_factory=list)
    # Landed batches: a glob per table, relative to paths.landing; default: "<table>/*".
    tables: dict[str, str] = field(default_factory=dict)
    csv: CsvOptions = field(default_factory=CsvOptions)


@dataclass
class FilesSourceConfig:
    """CSV or Parquet files in paths.landing (a folder versioned with `dvc add`)."""

    kind: str = "files"
    # A glob per table, relative to paths.landing (default: "<table>/*"); each table's files
    # are read as one table.
    tables: dict[str, str] = field(default_factory=dict)
    csv: CsvOptions = field(default_factory=CsvOptions)


@dataclass
class SqlSourceConfig:
    """Tables or queries through SQLAlchemy. The URL in params holds no credentials."""

    kind: str = "sql"
    url: str = MISSING
    # If this environment variable (or the same key in conf/local/secrets.yaml) is set, its
    # URL is used instead of `url`: that is where passwords go.
    url_env: str = "PIPELINE_SQL_URL"
    # Per table: a table name, or a query starting with SELECT; default: the table's name.
    tables: dict[str, str] = field(default_factory=dict)


SOURCE_SCHEMAS: dict[str, type] = {
    "python": PythonSourceConfig,
    "files": FilesSourceConfig,
    "sql": SqlSourceConfig,
}


@dataclass
class PrivacyConfig:
    """Identifier columns removed or hashed before ingest writes anything."""

    drop: list[str] = field(default_factory=list)
    hash: list[str] = field(default_factory=list)
    # The salt of the hash comes from this environment variable (or conf/local/secrets.yaml).
    salt_env: str = "PIPELINE_HASH_SALT"


class ExtraColumns(StrEnum):
    fail = "fail"  # a column the contract does not know stops the pipeline
    drop = "drop"  # it is dropped, and the validation report lists it


@dataclass
class ContractConfig:
    """How strictly incoming tables are held to their contracts."""

    extra_columns: ExtraColumns = ExtraColumns.fail


@dataclass
class DataConfig:
    """Which batch is current, and which ones train the model."""

    # The batch that plays "newly arrived data"; null means the newest ingested batch.
    current_batch: str | None = None
    # How many batches before the current one train the model; null means all of them.
    train_window: int | None = None


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


@dataclass
class RidgeConfig:
    """The linear model of regression (L2-regularised least squares)."""

    name: str = "ridge"
    alpha: float = 1.0


@dataclass
class XGBoostConfig:
    """Gradient boosting that also trains on a Dask cluster (engine=dask): xgboost.dask."""

    name: str = "xgboost"
    n_estimators: int = 300
    learning_rate: float = 0.1
    max_depth: int = 6
    min_child_weight: float = 1.0
    subsample: float = 1.0
    reg_lambda: float = 1.0
    max_bin: int = 256


MODEL_SCHEMAS: dict[str, type] = {
    "logistic_regression": LogisticRegressionConfig,
    "xgboost": XGBoostConfig,
    "ridge": RidgeConfig,
    "random_forest": RandomForestConfig,
    "hist_gbm": HistGradientBoostingConfig,
}


class SearchMethod(StrEnum):
    none = "none"  # fit the configured model as it is
    random = "random"  # randomized, cross-validated search over spaces[model.name]


@dataclass
class SearchConfig:
    """Optional hyperparameter search inside the train stage."""

    method: SearchMethod = SearchMethod.none
    n_iter: int = 8
    cv: int = 3
    # A scikit-learn scorer; null: the task's (roc_auc, or neg_root_mean_squared_error).
    scoring: str | None = None
    # Per model name: estimator param -> values to try.
    spaces: dict[str, Any] = field(default_factory=dict)


@dataclass
class EvaluateConfig:
    threshold: float = 0.5  # probability at or above which a row is predicted positive
    min_slice_rows: int = 200  # smaller slices are too noisy to report


@dataclass
class GateConfig:
    """Limits of `python -m pipeline.cli check`: a check fails when its value crosses its limit."""

    max_drifted_share: float = 0.3  # share of feature columns whose distribution drifted
    max_target_drift: float = 0.1  # distance between the target's distributions
    max_missing_increase: float = 0.05  # worst column's missing share, newest minus reference
    max_new_category_share: float = 0.01  # newest rows with a category the reference never had
    # The model-quality limits depend on the problem: they are dataset.gate.


@dataclass
class ReportConfig:
    """Evidently reports on the newest batch against the training window, and their gate."""

    # Rows drawn (with `seed`) from each side for the Evidently reports; null: every row.
    sample_rows: int | None = 50_000
    # A column drifted when its distance (Wasserstein for numbers, Jensen-Shannon for
    # categories) exceeds this.
    drift_threshold: float = 0.1
    gate: GateConfig = field(default_factory=GateConfig)


@dataclass
class ServeConfig:
    """The prediction API (`make serve`)."""

    host: str = "127.0.0.1"
    port: int = 8000
    workers: int = 1  # worker processes (gunicorn with uvicorn workers)
    drain_seconds: int = 30  # on SIGTERM, requests being answered get this long to finish
    # The model file to serve; null: the version in registry stage `stage`, fetched from the
    # DVC remote, or the workspace model (paths.model) when no version has that stage.
    model: str | None = None
    stage: str | None = "prod"
    # A/B: a second model file and the share of requests it answers (0: none).
    candidate: str | None = None
    candidate_share: float = 0.0
    max_rows: int = 1000  # rows in one /predict request
    max_body_bytes: int = 1_000_000
    request_log: str = "logs/requests.jsonl"  # one JSON line per prediction
    rotate_bytes: int = 50_000_000  # a log file this large is rotated
    # Outcomes that arrive later, one JSON line each: {"id": <prediction id>, <target>: 0|1}.
    labels: str = "logs/labels.jsonl"
    monitor_dir: str = "reports/live"  # where `monitor` writes its reports
    # Bucket bounds of the served-score histogram on /metrics; null: twenty bins of
    # probability for a classifier, the deciles of evaluate's predictions for a regressor.
    score_buckets: list[float] | None = None


class EngineName(StrEnum):
    pandas = "pandas"  # whole tables in memory (the default)
    dask = "dask"  # partitioned tables as Dask graphs, on a cluster


@dataclass
class EngineConfig:
    """What runs the table stages: pandas in one process, or Dask on a cluster."""

    name: EngineName = EngineName.pandas
    # dask: an existing cluster's scheduler (tcp://host:8786). The environment variable
    # DASK_SCHEDULER_ADDRESS wins; with neither, a LocalCluster starts for the run.
    scheduler_address: str | None = None
    workers: int | None = None  # LocalCluster workers; null: one per core
    threads_per_worker: int = 1
    # LocalCluster workers as threads of the stage's process (no network at all), or as
    # processes on 127.0.0.1 (each with its own memory limit and spilling).
    processes: bool = False
    memory_limit: str = "auto"  # per worker: "4GiB", or auto (the machine's share)
    # Rows per Parquet part within a batch: what one task holds in memory at a time.
    partition_rows: int = 500_000


@dataclass
class Config:
    seed: int = 42
    paths: PathsConfig = field(default_factory=PathsConfig)
    dataset: DatasetConfig = MISSING
    # One of SOURCE_SCHEMAS; each group file in conf/source/ names its own schema.
    source: Any = MISSING
    privacy: PrivacyConfig = MISSING
    contract: ContractConfig = MISSING
    data: DataConfig = MISSING
    split: SplitConfig = MISSING
    # One of MODEL_SCHEMAS; each group file in conf/model/ names its own schema.
    model: Any = MISSING
    search: SearchConfig = MISSING
    evaluate: EvaluateConfig = MISSING
    report: ReportConfig = MISSING
    serve: ServeConfig = MISSING
    engine: EngineConfig = MISSING


# Groups whose options have different keys: the key that names the option, and its schemas.
UNION_GROUPS: dict[str, tuple[str, dict[str, type]]] = {
    "source": ("kind", SOURCE_SCHEMAS),
    "model": ("name", MODEL_SCHEMAS),
}


def register_schemas() -> None:
    """Put the schemas in Hydra's ConfigStore so composition checks keys and types."""
    from hydra.core.config_store import ConfigStore

    store = ConfigStore.instance()
    store.store(name="config_schema", node=Config)
    for group, (_, schemas) in UNION_GROUPS.items():
        for name, schema in schemas.items():
            store.store(group=group, name=f"{name}_schema", node=schema)


_ABSENT = object()


def load_params(path: Path = PARAMS_FILE) -> DictConfig:
    """Load params.yaml and check every key and type against the schemas."""
    raw = OmegaConf.load(path)
    cfg = OmegaConf.merge(OmegaConf.structured(Config), raw)
    for group, (key, schemas) in UNION_GROUPS.items():
        option = cfg[group].get(key)
        if option not in schemas:
            raise ConfigError(f"{path}: {group}.{key}={option!r}; expected one of {list(schemas)}")
        cfg[group] = OmegaConf.merge(OmegaConf.structured(schemas[option]), cfg[group])
    return cfg


def read_dvc_file(dvc_file: Path = DVC_FILE) -> dict:
    """dvc.yaml as plain data, parsed by libyaml where PyYAML has it (its wheels do): every stage
    reads it, and Python's own parser takes 50 ms on it where libyaml takes 2."""
    return yaml.load(dvc_file.read_text(), Loader=getattr(yaml, "CSafeLoader", yaml.SafeLoader))


def declared_params(stage: str, dvc_file: Path = DVC_FILE) -> list[str]:
    """The param keys dvc.yaml lists for one stage (keys of params.yaml only)."""
    stages = read_dvc_file(dvc_file)["stages"]
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


def compose_params(
    overrides: list[str], output: Path = PARAMS_FILE, conf_dir: Path = CONF_DIR
) -> None:
    """Compose conf/ into params.yaml exactly as `dvc exp run` does: same function, same plugins."""
    from dvc.utils.hydra import compose_and_dump

    compose_and_dump(output, str(conf_dir.resolve()), None, "config", str(Path.cwd()), overrides)


def params_in_sync(committed: Path) -> bool:
    """Whether `committed` is what conf/ composes to now."""
    import tempfile

    with tempfile.TemporaryDirectory() as tmp:
        fresh = Path(tmp) / "params.yaml"
        compose_params([], fresh)
        return fresh.read_text() == committed.read_text()


ROOT_CONFIG = CONF_DIR / "config.yaml"


def set_default(text: str, group: str, option: str) -> str:
    """The root config's text with `- GROUP: OPTION` in its defaults list; the rest unchanged.

    The one place that edits conf/config.yaml's choices (init picks a dataset, select-best
    an experiment preset). A comment after the value stays where it was.
    """
    import re

    line = re.compile(rf"(?m)^([ \t]*-[ \t]*{re.escape(group)}:[ \t]*)([^\s#]+)(?:([ \t]+)(?=#))?")

    def replace(match: re.Match) -> str:
        head, old, pad = match.group(1), match.group(2), match.group(3)
        if pad is None:
            return head + option
        return head + option + " " * max(len(old) + len(pad) - len(option), 1)

    new, count = line.subn(replace, text)
    if count != 1:
        raise ConfigError(f"{ROOT_CONFIG} needs exactly one `- {group}: ...` line in its defaults")
    return new
