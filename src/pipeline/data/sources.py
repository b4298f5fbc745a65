"""Where raw data comes from: a Python reader, landed files, or SQL.

Every source returns the dataset's tables (`dataset.tables`), and every row of the batch table
carries the batch it arrived in (`dataset.batch`). Reading problems (an empty or corrupt file,
a wrong encoding or delimiter) stop here with the file's name; the contracts in validate judge
the content.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd

from pipeline.errors import ConfigError, InputError
from pipeline.plugins import load_object

READERS = {".csv", ".parquet"}


@dataclass(frozen=True)
class TableSet:
    """The dataset's tables, and which table's rows carry their batch in which column."""

    names: list[str]
    batch_table: str
    batch_column: str
    batch_date: str | None = None  # a date column cut into batches (dataset.batch.date)
    batch_by: str | None = None  # year | quarter | month | week | day

    @classmethod
    def of(cls, dataset: Mapping) -> TableSet:
        names = list(dataset["tables"])
        batch = dataset["batch"]
        if batch["table"] not in names:
            raise ConfigError(f"dataset.batch.table={batch['table']!r} is not in {names}")
        date, by = batch.get("date"), batch.get("by")
        if (date is None) != (by is None):
            raise ConfigError(
                "dataset.batch.date and dataset.batch.by go together: the date column, and how "
                "to cut it into batches (year, quarter, month, week or day)"
            )
        return cls(names, batch["table"], batch["column"], date, None if by is None else str(by))

    def with_batch_id(self, frame: pd.DataFrame, where: str, stem: str | None) -> pd.DataFrame:
        """The batch table's rows with their batch id in `batch_column`: the period of the
        batch date, else the column as it is, else the file's name (`stem`)."""
        if self.batch_date is not None:
            from pipeline.data.batches import cut_dates

            if self.batch_date not in frame.columns:
                raise InputError(
                    f"{where}: no {self.batch_date!r} column, the date cut into batches "
                    "(dataset.batch.date)"
                )
            ids = cut_dates(frame[self.batch_date], self.batch_by)
            unreadable = frame.loc[ids.isna() & frame[self.batch_date].notna(), self.batch_date]
            if ids.isna().any():
                shown = ", ".join(map(repr, unreadable.astype(str).unique()[:3])) or "missing"
                raise InputError(
                    f"{where}: column {self.batch_date!r}, rule 'a date (dataset.batch.date)': "
                    f"{int(ids.isna().sum()):,} row(s) have no readable date ({shown})"
                )
            return frame.drop(columns=[self.batch_column], errors="ignore").assign(
                **{self.batch_column: ids.astype(str)}
            )[[self.batch_column, *(c for c in frame.columns if c != self.batch_column)]]
        if self.batch_column not in frame.columns and stem is not None:
            frame.insert(0, self.batch_column, stem)
        return frame


@dataclass
class Ingested:
    """The raw tables, and where each batch came from."""

    tables: dict[str, pd.DataFrame]
    origins: dict[str, str] = field(default_factory=dict)  # batch -> file, package or URL


def read_source(source: Mapping, tables: TableSet, landing: Path) -> Ingested:
    """Read every table of the dataset from the configured source (`params.source`)."""
    if source["kind"] == "python":
        return read_python_with_landed(source, tables, landing)
    if source["kind"] == "files":
        return read_landed(landing, tables, source["tables"], source["csv"], required=True)
    if source["kind"] == "sql":
        return read_sql(source, tables)
    raise ConfigError(f"source.kind={source['kind']!r}; expected python, files or sql")


# --- a Python reader -----------------------------------------------------------------------


def read_python_with_landed(source: Mapping, tables: TableSet, landing: Path) -> Ingested:
    """The reader's batches (a dataset's own code, e.g. a package), then those landed since."""
    if not source["reader"]:
        raise ConfigError(
            "source.reader is not set: source=example reads a dataset shipped in a package "
            "(dataset.package.reader). For your own files use source=files"
        )
    batches = list(source["batches"])
    read = load_object(source["reader"], "source.reader")(batches)
    missing = [name for name in tables.names if name not in read]
    if missing:
        raise InputError(f"source.reader={source['reader']!r} returned no table(s) {missing}")
    origins = dict.fromkeys(batches, source["reader"])
    landed = read_landed(landing, tables, source["tables"], source["csv"], required=False)
    if not landed.tables:
        return Ingested({name: read[name] for name in tables.names}, origins)
    twice = sorted(set(landed.origins) & set(origins))
    if twice:
        raise InputError(
            f"batch(es) {twice} are both in source.batches and landed in {landing}: "
            "remove them from one of the two"
        )
    return Ingested(
        {name: concat([read[name], landed.tables[name]]) for name in tables.names},
        origins | landed.origins,
    )


# --- landed files ---------------------------------------------------------------------------


def landing_glob(globs: Mapping, table: str) -> str:
    """The glob of a table's landed files: source.tables, else "<table>/*"."""
    return globs.get(table) or f"{table}/*"


def read_landed(
    landing: Path, tables: TableSet, globs: Mapping, csv: Mapping, required: bool
) -> Ingested:
    """Each table is every file its glob matches in `landing`, read as one table.

    With `required=False` a landing folder with no files at all is fine (nothing arrived);
    one table without another never is.
    """
    patterns = {name: landing_glob(globs, name) for name in tables.names}
    matched = {name: landed_files(landing, pattern) for name, pattern in patterns.items()}
    missing = [name for name in tables.names if not matched[name]]
    if not required and len(missing) == len(tables.names):
        return Ingested({})
    if missing:
        raise InputError(
            f"{landing}: no file for table(s) {missing} (globs: {patterns}); "
            f"land them with `dvc add {landing}`"
        )
    frames: dict[str, pd.DataFrame] = {}
    origins: dict[str, str] = {}
    for name, files in matched.items():
        parts = []
        for path in files:
            frame = read_file(path, csv)
            if name == tables.batch_table:
                frame = tables.with_batch_id(frame, str(path), path.stem)
                origins |= dict.fromkeys(batch_ids(frame, tables.batch_column), str(path))
            parts.append((path, frame))
        frames[name] = concat_same_columns(parts)
    return Ingested(frames, origins)


def batch_ids(frame: pd.DataFrame, column: str) -> list[str]:
    """The batch ids a table's rows carry, as text."""
    return frame[column].dropna().astype(str).unique().tolist()


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
    columns = union_columns([(path, list(frame.columns)) for path, frame in parts])
    return concat([frame for _, frame in parts]).reindex(columns=columns)


def union_columns(files: list[tuple[Path, list[str]]]) -> list[str]:
    """Every column of files read oldest first, in order of appearance; a file that lacks a
    column an earlier one had is refused, naming both files. Both engines judge files so."""
    first_path = files[0][0]
    columns: list[str] = []
    for path, present in files:
        missing = [c for c in columns if c not in present]
        if missing:
            raise InputError(f"{path}: column(s) {missing} missing (present in {first_path})")
        columns += [c for c in present if c not in columns]
    return columns


def concat(frames: list[pd.DataFrame]) -> pd.DataFrame:
    return pd.concat(frames, ignore_index=True) if len(frames) > 1 else frames[0]


def storable(frame: pd.DataFrame) -> pd.DataFrame:
    """Columns of mixed Python types (a database's loose typing) become text.

    Parquet needs one type per column; validate then names every value that is not a number.
    """
    mixed = [c for c in frame.columns if frame[c].dtype == object]
    if not mixed:
        return frame
    return frame.assign(**{c: frame[c].astype("str").where(frame[c].notna()) for c in mixed})


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


def read_sql(source: Mapping, tables: TableSet) -> Ingested:
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
            for name in tables.names:
                query = source["tables"].get(name) or name
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
    batched, column = frames[tables.batch_table], tables.batch_column
    if tables.batch_date is not None:
        batched = frames[tables.batch_table] = tables.with_batch_id(batched, shown, None)
    if column not in batched.columns:
        raise InputError(
            f"{shown}: table {tables.batch_table!r} has no {column!r} column "
            "(dataset.batch.column); select one: the id of the batch each row arrived in"
        )
    batches = batched[column].dropna().astype(str).unique()
    return Ingested(frames, dict.fromkeys(sorted(batches), shown))
