"""`python -m pipeline.cli init PATH --target COLUMN`: a team's own table in one command.

Reads a CSV or Parquet file (or a folder of them) with ingest's readers, guesses the contract
and the roles of its columns, reports likely leaks, lands the data as one Parquet file per
batch in data/landing/NAME/, writes conf/dataset/NAME.yaml and its contract
conf/columns/NAME.yaml, selects it (with the files source)
in conf/config.yaml, composes params.yaml and runs `dvc add data/landing`. Every refusal comes
before anything is written.
"""

from __future__ import annotations

import re
import shutil
import tempfile
from dataclasses import dataclass
from pathlib import Path

import pandas as pd

from pipeline import progress
from pipeline.config import ROOT_CONFIG, set_default
from pipeline.data.batches import BATCH_COLUMN, batch_order
from pipeline.data.sources import READERS, TableSet, concat_same_columns, read_file
from pipeline.errors import InputError, PipelineError
from pipeline.io import atomic_dir, atomic_path, write_parquet
from pipeline.onboarding import dataset_file
from pipeline.onboarding.inference import (
    ISO_DATE,
    ColumnGuess,
    TargetGuess,
    guess_column,
    infer_task,
    target_spec,
)
from pipeline.onboarding.leaks import Leak, find_leaks

DATASET_DIR = Path("conf/dataset")
NAME = re.compile(r"^[a-z][a-z0-9_]*$")
MAX_SLICES = 2
MAX_SLICE_VALUES = 20  # a slice column with more values makes a table nobody reads


@dataclass
class InitRequest:
    path: Path
    target: str
    batch_column: str | None = None
    batch_id: str | None = None  # a single file without a batch column: its batch id
    batch_by: str | None = None  # the batch column is a date: cut it by year, month, ...
    task: str | None = None
    positive: str | None = None  # the positive of two classes (default: by a stated rule)
    drop: tuple[str, ...] = ()
    name: str | None = None
    force: bool = False
    delimiter: str = ","
    encoding: str = "utf-8"


def dataset_name(request: InitRequest) -> str:
    name = request.name or re.sub(r"[^a-z0-9_]+", "_", request.path.stem.lower()).strip("_")
    if not NAME.match(name or ""):
        raise InputError(
            f"dataset name {name!r}: use lower-case letters, digits and _ (set it with --name)"
        )
    return name


def read_input(path: Path, csv: dict) -> list[tuple[Path, pd.DataFrame]]:
    """Every readable file of `path` (a file, or a folder's files oldest first)."""
    if not path.exists():
        raise InputError(f"{path}: no such file or folder")
    if path.is_dir():
        files = [p for p in sorted(path.iterdir()) if p.is_file() and not p.name.startswith(".")]
        files = [p for p in files if p.suffix in READERS]
        if not files:
            raise InputError(f"{path}: no CSV or Parquet file in this folder")
    else:
        files = [path]
    return [(file, read_file(file, csv)) for file in files]


def batches_of(
    table: pd.DataFrame, parts: list[tuple[Path, pd.DataFrame]], request: InitRequest
) -> tuple[pd.DataFrame, dict[str, pd.DataFrame], str]:
    """The whole table (`parts` read as one), and its rows per batch: by the batch column,
    else one batch per file (a single file is the first batch: a snapshot)."""
    batch_column = request.batch_column
    if request.batch_by is not None and batch_column is None:
        raise InputError("--batch-by cuts a date column into batches: name it, --batch-column COL")
    if batch_column is not None:
        if batch_column not in table.columns:
            raise InputError(
                f"--batch-column {batch_column}: no such column (columns: {list(table.columns)})"
            )
        if table[batch_column].isna().any():
            missing = int(table[batch_column].isna().sum())
            raise InputError(f"--batch-column {batch_column}: {missing} row(s) have no batch id")
        if request.batch_by is None and looks_like_dates(table[batch_column]):
            raise InputError(
                f"--batch-column {batch_column} holds dates ({table[batch_column].nunique():,} "
                "distinct): say how to cut them into batches, --batch-by year|quarter|month|"
                "week|day"
            )
    if request.batch_by is not None:
        if BATCH_COLUMN in table.columns:
            raise InputError(
                f"the file(s) hold a {BATCH_COLUMN!r} column, the name the batch id cut from "
                f"{batch_column} would take: rename it"
            )
        rule = TableSet([], "", BATCH_COLUMN, batch_column, request.batch_by)
        table = rule.with_batch_id(table.copy(), str(request.path), None)
        ids, column = table[BATCH_COLUMN], BATCH_COLUMN
        return table, {b: table[ids == b] for b in batch_order(ids.unique())}, column
    if batch_column is not None:
        ids = table[batch_column].astype(str)
        column = batch_column
    else:
        if BATCH_COLUMN in table.columns:
            raise InputError(
                f"the file(s) hold a {BATCH_COLUMN!r} column, the name the files source gives "
                f"the batch id: pass --batch-column {BATCH_COLUMN} if it says which batch a row "
                "arrived in, or rename it"
            )
        if len(parts) == 1:
            stem = request.batch_id or parts[0][0].stem
            ids = pd.Series(stem, index=table.index)
        else:
            if request.batch_id:
                raise InputError("--batch-id names the batch of a single file, not of a folder")
            ids = pd.Series(
                [path.stem for path, frame in parts for _ in range(len(frame))], index=table.index
            )
        column = BATCH_COLUMN
    batches = {batch: table[ids == batch] for batch in batch_order(ids.unique())}
    if batch_column is None:
        table = table.assign(**{BATCH_COLUMN: ids})
    return table, batches, column


def looks_like_dates(values: pd.Series) -> bool:
    """A timestamp column, or text that is all ISO dates: many batches of a day or less."""
    if pd.api.types.is_datetime64_any_dtype(values):
        return True
    text = values.dropna().astype(str)
    return bool(len(text)) and bool(text.map(lambda v: bool(ISO_DATE.match(v))).all())


def describe_batches(batches: list[str], by: str) -> str:
    if len(batches) == 1:
        return (
            f"batches: 1 ({batches[0]}, {by}): a snapshot. The model trains on it and is "
            "checked on a random holdout; drift and decay need a newer batch (`make land "
            "FILE=...`), whose id must sort after this one"
        )
    return (
        f"batches: {len(batches)} ({batches[0]}..{batches[-1]}, {by}); "
        f"the newest, {batches[-1]}, is the one the model is checked on"
    )


def file_stem(batch: str) -> str:
    """A batch id as a file name: the id itself where it is safe."""
    return re.sub(r"[^A-Za-z0-9_.-]+", "_", batch).strip(".") or "batch"


def guess_columns(
    table: pd.DataFrame, request: InitRequest, batch_column: str, batch_from: str
) -> list[ColumnGuess]:
    guesses = []
    for column in table.columns:
        if column == request.target or (column == batch_column and batch_from != "column"):
            continue
        guess = guess_column(table[column], rows=len(table))
        if batch_from == "date" and column == request.batch_column:
            # Cut into batches by ingest; later files bring later dates, repeated or not.
            guess.spec.pop("unique", None)
            if guess.role != "date":
                guess.role, guess.note = "batch date", "cut into batches; not a feature"
            else:
                guess.note = "cut into batches; the model sees its month"
        elif column == batch_column:
            # Later batches carry later ids (next year, next month): no upper bound.
            guess.spec.pop("max", None)
            guess.spec.pop("unique", None)
            guess.role, guess.note = "batch", "the batch id"
        elif column in request.drop:
            guess.role, guess.note = "dropped", "--drop"
        guesses.append(guess)
    return guesses


def plan_derived(guesses: list[ColumnGuess]) -> dict[str, dict]:
    """Date columns reach the model as their month and day of the week, computed inside it."""
    derived = {}
    for guess in guesses:
        if guess.role == "date":
            derived[f"{guess.name}_month"] = {"op": "month_of_date", "columns": [guess.name]}
            derived[f"{guess.name}_weekday"] = {"op": "weekday_of_date", "columns": [guess.name]}
    return derived


def choose_slices(table: pd.DataFrame, guesses: list[ColumnGuess]) -> list[str]:
    """The categorical features with the fewest values (2 or more): readable per-slice tables."""
    categorical = [g.name for g in guesses if g.role == "categorical"]
    counts = {column: table[column].nunique() for column in categorical}
    readable = [c for c in categorical if 2 <= counts[c] <= MAX_SLICE_VALUES]
    return sorted(readable, key=lambda c: (counts[c], c))[:MAX_SLICES]


def refuse_early(request: InitRequest, name: str, table: pd.DataFrame, landing: Path) -> None:
    if request.target not in table.columns:
        raise InputError(
            f"--target {request.target}: no such column (columns: {list(table.columns)})"
        )
    labels = table[request.target].dropna()
    if labels.empty:
        raise InputError(f"--target {request.target}: every value is missing")
    if labels.nunique() < 2:
        value = labels.iat[0]
        value = value.item() if hasattr(value, "item") else value  # 1, not np.int64(1)
        raise InputError(
            f"--target {request.target}: constant ({value!r} in every labelled row); "
            "there is nothing to predict"
        )
    if BATCH_COLUMN in table.columns and request.batch_column not in (None, BATCH_COLUMN):
        raise InputError(
            f"column {BATCH_COLUMN!r}: the pipeline's tables keep each row's batch id under that "
            f"name, so a column of yours cannot have it: rename it (or, if it says which batch "
            f"a row arrived in, --batch-column {BATCH_COLUMN})"
        )
    unknown = [column for column in request.drop if column not in table.columns]
    if unknown:
        raise InputError(f"--drop: no column(s) {unknown} (columns: {list(table.columns)})")
    if request.target in request.drop or request.batch_column in request.drop:
        raise InputError("--drop cannot drop the target or the batch column")
    files = (DATASET_DIR / f"{name}.yaml", Path(dataset_file.rules_path(name)), landing / name)
    existing = [p for p in files if p.exists()]
    if existing and not request.force:
        raise InputError(
            f"dataset {name!r} exists already ({', '.join(map(str, existing))}): choose another "
            "--name, or --force to replace it"
        )


def select_dataset(text: str, name: str) -> str:
    """conf/config.yaml with `- dataset: NAME` and `- source: files` in its defaults list."""
    return set_default(set_default(text, "dataset", name), "source", "files")


def check_composes(name: str, dataset_text: str, rules_text: str, root_text: str) -> None:
    """Compose conf/ with the new files in a scratch copy, and read the contract: a config
    that would not compose (or break a schema) is refused before anything is written."""
    from pipeline.config import CONF_DIR, compose_params, load_params
    from pipeline.contracts.dataset import declared_contracts, read_column_rules

    with tempfile.TemporaryDirectory() as scratch:
        conf = Path(scratch) / "conf"
        shutil.copytree(CONF_DIR, conf, ignore=shutil.ignore_patterns("local"))
        rules = Path(scratch) / dataset_file.rules_path(name)
        for folder in (conf / "dataset", rules.parent):  # a project without examples lacks them
            folder.mkdir(exist_ok=True)
        (conf / "dataset" / f"{name}.yaml").write_text(dataset_text)
        rules.write_text(rules_text)
        (conf / "config.yaml").write_text(root_text)
        try:
            compose_params([], Path(scratch) / "params.yaml", conf)
            params = load_params(Path(scratch) / "params.yaml")
            declared_contracts(params.dataset, read_column_rules(rules))
        except Exception as error:  # Hydra and OmegaConf raise many kinds
            raise PipelineError(f"the dataset config would not compose: {error}") from error


def land(batches: dict[str, pd.DataFrame], folder: Path, force: bool) -> list[Path]:
    """One Parquet file per batch in `folder` (in place of what it held, with `force`)."""
    if not force:
        return [write_batch(rows, folder, batch) for batch, rows in batches.items()]
    with atomic_dir(folder) as staged:
        for batch, rows in batches.items():
            write_batch(rows, staged, batch)
    return [folder / f"{file_stem(batch)}.parquet" for batch in batches]


def write_batch(rows: pd.DataFrame, folder: Path, batch: str) -> Path:
    path = folder / f"{file_stem(batch)}.parquet"
    write_parquet(rows.reset_index(drop=True), path)
    return path


@dataclass(frozen=True)
class Adopted:
    """What `init` made of a table: for the command to tell the user."""

    name: str
    rows: int
    guess: TargetGuess
    batch_column: str
    batch_from: str  # "file", "column" or "date"
    batches: list[str]
    columns: list[ColumnGuess]  # the target's first
    leaks: list[Leak]
    written: list[Path]
    landing: Path
    champion: Path
    unpinned: bool  # a champion of the dataset before was unpinned


def adopt(request: InitRequest) -> Adopted:
    """Read, infer, check, then write the dataset config, land its batches and `dvc add`
    them. Every refusal (a PipelineError) comes before anything is written; a failure after
    says what was written."""
    from pipeline.config import PathsConfig, compose_params
    from pipeline.data.landing import dvc_add
    from pipeline.lifecycle.pin_champion import unpin

    landing = Path(PathsConfig().landing)
    name = dataset_name(request)
    progress.step(f"reading {request.path}")
    parts = read_input(request.path, {"delimiter": request.delimiter, "encoding": request.encoding})
    table = concat_same_columns(parts)
    refuse_early(request, name, table, landing)
    table, batches, batch_column = batches_of(table, parts, request)
    batch_from = "date" if request.batch_by else "column" if request.batch_column else "file"
    guess = infer_task(table[request.target], request.task, request.positive)
    progress.step(f"guessing the rules of {len(table.columns)} columns, {len(table):,} rows")
    guesses = guess_columns(table, request, batch_column, batch_from)
    spec = target_spec(table[request.target], guess)
    features = [g.name for g in guesses if g.role in ("categorical", "numeric", "date")]
    if not features:
        raise InputError("no column is left to learn from: check --drop and the table")
    newest = list(batches)[-1]
    # The leak check looks at what trains the model: every batch before the newest, or the
    # one batch of a snapshot.
    training = table[table[batch_column].astype(str) != newest] if len(batches) > 1 else table
    progress.step(f"looking for leaks among {len(features)} features")
    leaks = find_leaks(training, request.target, features, guess.task)
    text = dataset_file.render(
        name=name,
        source_label=str(request.path),
        target=request.target,
        target_guess=guess,
        batch_column=batch_column,
        batch_from=batch_from,
        batch_date=(request.batch_column, request.batch_by) if request.batch_by else None,
        guesses=guesses,
        derived=plan_derived(guesses),
        slices=choose_slices(table, guesses),
    )
    rules = dataset_file.render_rules(
        name=name,
        source_label=str(request.path),
        target=request.target,
        batch_column=batch_column,
        batch_from=batch_from,
        guesses=guesses,
        target_spec=spec,
    )
    selected = select_dataset(ROOT_CONFIG.read_text(), name)
    check_composes(name, text, rules, selected)

    progress.step(f"landing {len(batches)} batches in {landing / name}/")
    written = land(batches, landing / name, request.force)
    rules_file = Path(dataset_file.rules_path(name))
    rules_file.parent.mkdir(parents=True, exist_ok=True)
    with atomic_path(rules_file) as tmp:
        tmp.write_text(rules)
    with atomic_path(DATASET_DIR / f"{name}.yaml") as tmp:
        tmp.write_text(text)
    with atomic_path(ROOT_CONFIG) as tmp:
        tmp.write_text(selected)
    compose_params([])
    progress.step(f"dvc add {landing}")
    champion = Path(PathsConfig().champion)
    try:
        dvc_add(landing)
        unpinned = unpin(champion)  # a champion of another dataset cannot score these rows
    except PipelineError as error:
        raise PipelineError(f"wrote the dataset, but {error}") from None
    target = ColumnGuess(request.target, spec["type"], f"target ({guess.task})", spec)
    return Adopted(
        name=name,
        rows=len(table),
        guess=guess,
        batch_column=batch_column,
        batch_from=batch_from,
        batches=list(batches),
        columns=[target, *guesses],
        leaks=leaks,
        written=written,
        landing=landing,
        champion=champion,
        unpinned=unpinned,
    )
