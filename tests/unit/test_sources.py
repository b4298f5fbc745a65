"""Reading the sources: landed files, a Python reader, SQL, and the file problems that stop
ingest early. On the fixture's yearly files (tests/data/shop/customers/)."""

from __future__ import annotations

import sys
import types

import pandas as pd
import pytest
import sqlalchemy as sa
from helpers import FIXTURE_FILES

from pipeline.data.batches import batch_order
from pipeline.data.sources import TableSet, read_file, read_landed, read_source
from pipeline.errors import ConfigError, InputError

CSV = {"delimiter": ",", "encoding": "utf-8"}
TABLES = TableSet(["customers"], batch_table="customers", batch_column="year")
# A second table, to show what happens when one of two is missing.
TWO_TABLES = TableSet(["customers", "plans"], batch_table="customers", batch_column="year")
PLANS = pd.DataFrame({"plan": ["basic", "pro", "team"], "price": [9.0, 19.0, 49.0]})


def year(shop_raw: pd.DataFrame, batch: int) -> pd.DataFrame:
    return shop_raw[shop_raw["year"] == batch].reset_index(drop=True)


@pytest.fixture
def landing(tmp_path, shop_raw):
    """A landing folder holding 2019 as Parquet and 2020 as CSV, without their batch column."""
    folder = tmp_path / "landing"
    (folder / "customers").mkdir(parents=True)
    year(shop_raw, 2019).drop(columns="year").to_parquet(
        folder / "customers" / "2019.parquet", index=False
    )
    year(shop_raw, 2020).drop(columns="year").to_csv(folder / "customers" / "2020.csv", index=False)
    return folder


def test_files_of_both_formats_are_read_as_one_table_with_batches_from_file_names(
    landing, shop_raw
):
    (landing / "customers" / ".2021.parquet.x1y2.tmp").write_bytes(b"half-written")
    ingested = read_landed(landing, TABLES, {}, CSV, required=True)
    customers = ingested.tables["customers"]
    assert batch_order(ingested.origins) == ["2019", "2020"]
    assert ingested.origins["2020"].endswith("customers/2020.csv")
    assert ingested.origins["2019"].endswith("customers/2019.parquet")
    assert customers.columns[0] == "year"  # the batch column, from each file's name
    assert customers["year"].tolist() == ["2019"] * 400 + ["2020"] * 400
    expected = pd.concat([year(shop_raw, 2019), year(shop_raw, 2020)], ignore_index=True)
    pd.testing.assert_frame_equal(
        customers.drop(columns="year"), expected.drop(columns="year"), check_dtype=False
    )


def test_a_glob_in_the_source_picks_the_files_of_a_table(landing):
    (landing / "exports").mkdir()
    (landing / "customers" / "2020.csv").rename(landing / "exports" / "customers-2020.csv")
    ingested = read_landed(landing, TABLES, {"customers": "exports/customers-*.csv"}, CSV, True)
    assert list(ingested.origins) == ["customers-2020"]  # the batch is the file's name
    assert len(ingested.tables["customers"]) == 400


def test_the_files_source_needs_every_table(tmp_path, landing):
    (tmp_path / "customers").mkdir()
    source = {"kind": "files", "tables": {}, "csv": CSV}
    with pytest.raises(InputError, match=r"no file for table\(s\) \['customers', 'plans'\]"):
        read_source(source, TWO_TABLES, tmp_path)
    # One table without the other is never fine, even where nothing landed would be.
    with pytest.raises(InputError, match=r"no file for table\(s\) \['plans'\]"):
        read_landed(landing, TWO_TABLES, {}, CSV, required=False)
    assert read_landed(tmp_path, TWO_TABLES, {}, CSV, required=False).tables == {}


@pytest.fixture
def reader(monkeypatch, shop_raw) -> str:
    """A Python reader of fixture years, importable by its dotted path like a dataset's code."""
    module = types.ModuleType("shop_reader")
    module.read_years = lambda batches: {
        "customers": shop_raw[shop_raw["year"].astype(str).isin(batches)].reset_index(drop=True)
    }
    module.read_nothing = lambda batches: {}
    monkeypatch.setitem(sys.modules, "shop_reader", module)
    return "shop_reader.read_years"


def test_the_python_source_reads_landed_batches_after_the_reader_batches(landing, reader):
    source = {"kind": "python", "reader": reader, "batches": ["2021"], "tables": {}, "csv": CSV}
    ingested = read_source(source, TABLES, landing)
    assert batch_order(ingested.origins) == ["2019", "2020", "2021"]
    assert ingested.origins["2021"] == reader  # the reader names where its batches came from
    assert ingested.origins["2019"].endswith("customers/2019.parquet")
    assert len(ingested.tables["customers"]) == 1200
    source["batches"] = ["2020"]
    with pytest.raises(InputError, match=r"\['2020'\] are both in source.batches and landed"):
        read_source(source, TABLES, landing)
    source["reader"] = "shop_reader.read_nothing"
    with pytest.raises(InputError, match=r"returned no table\(s\) \['customers'\]"):
        read_source(source, TABLES, landing)


def test_the_python_source_without_landed_files_is_the_reader_alone(tmp_path, reader):
    source = {"kind": "python", "reader": reader, "batches": ["2023"], "tables": {}, "csv": CSV}
    ingested = read_source(source, TABLES, tmp_path)
    assert list(ingested.origins) == ["2023"] and len(ingested.tables["customers"]) == 400


def test_an_unknown_source_kind_or_batch_table_is_refused(tmp_path, shop_params):
    with pytest.raises(ConfigError, match=r"source\.kind='ftp'"):
        read_source({"kind": "ftp"}, TABLES, tmp_path)
    assert TableSet.of(shop_params.dataset) == TABLES
    with pytest.raises(
        ConfigError, match=r"dataset.batch.table='orders' is not in \['customers'\]"
    ):
        TableSet.of({"tables": ["customers"], "batch": {"table": "orders", "column": "year"}})


def test_a_file_that_loses_a_column_is_named_and_one_that_adds_a_column_is_read(landing):
    path = landing / "customers" / "2020.csv"
    later = pd.read_csv(path)
    later.assign(referrer="search").to_csv(path, index=False)
    customers = read_landed(landing, TABLES, {}, CSV, required=True).tables["customers"]
    assert customers["referrer"].notna().sum() == len(later)  # validate's policy decides
    later.drop(columns="tenure_months").to_csv(path, index=False)
    with pytest.raises(InputError, match=r"2020.csv: column\(s\) \['tenure_months'\] missing"):
        read_landed(landing, TABLES, {}, CSV, required=True)


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (b"", "the file is empty (0 bytes)"),
        (b"customer_id,year,region\n", "the file has a header but no rows"),
        (b"\n\n", "holds no header and no rows"),
        (b"customer_id;year;region\n1;2019;north\n", "looks ';'-delimited; set source.csv"),
        ("year,region\n2019,north\u2013east\n".encode("cp1252"), "not utf-8 text (byte 0x96"),
    ],
)
def test_unreadable_csv_files_are_named_with_the_reason(tmp_path, content, message):
    path = tmp_path / "2024.csv"
    path.write_bytes(content)
    with pytest.raises(InputError) as error:
        read_file(path, CSV)
    assert str(error.value).startswith(str(path))
    assert message in str(error.value)


def test_a_csv_in_another_encoding_and_delimiter_reads_when_configured(tmp_path):
    path = tmp_path / "2024.csv"
    path.write_bytes("year;region\n2019;north\u2013east\n".encode("cp1252"))
    frame = read_file(path, {"delimiter": ";", "encoding": "cp1252"})
    assert frame["region"].tolist() == ["north\u2013east"]


def test_the_fixture_files_read_as_the_contract_expects():
    frame = read_file(FIXTURE_FILES / "2019.csv", CSV)
    assert len(frame) == 400 and frame["year"].unique().tolist() == [2019]


def test_a_truncated_parquet_file_is_named(tmp_path, shop_raw):
    path = tmp_path / "2024.parquet"
    shop_raw.head(1000).to_parquet(path)
    path.write_bytes(path.read_bytes()[:-100])
    with pytest.raises(InputError, match="not a readable Parquet file"):
        read_file(path, CSV)


def test_unsupported_files_are_refused(tmp_path):
    path = tmp_path / "2024.xlsx"
    path.write_bytes(b"PK")
    with pytest.raises(InputError, match="unsupported file type"):
        read_file(path, CSV)


@pytest.fixture
def sqlite_db(tmp_path, shop_raw):
    path = tmp_path / "shop.sqlite"
    engine = sa.create_engine(f"sqlite:///{path}")
    shop_raw.head(500).to_sql("customers", engine, index=False)  # 2019 and part of 2020
    PLANS.to_sql("plans", engine, index=False)
    engine.dispose()
    return path


def sql_source(url: str, **tables: str) -> dict:
    return {
        "kind": "sql",
        "url": url,
        "url_env": "TEST_PIPELINE_SQL_URL",
        "tables": {"customers": "customers", "plans": "plans"} | tables,
    }


def test_sql_tables_and_queries_are_read(sqlite_db, tmp_path):
    source = sql_source(f"sqlite:///{sqlite_db}", plans="SELECT * FROM plans WHERE price > 10")
    ingested = read_source(source, TWO_TABLES, tmp_path)
    assert len(ingested.tables["customers"]) == 500
    assert ingested.tables["plans"]["plan"].tolist() == ["pro", "team"]
    assert list(ingested.origins) == ["2019", "2020"]
    assert set(ingested.origins.values()) == {f"sqlite:///{sqlite_db}"}


def test_the_sql_url_comes_from_the_environment_when_set(sqlite_db, tmp_path, monkeypatch):
    monkeypatch.setenv("TEST_PIPELINE_SQL_URL", f"sqlite:///{sqlite_db}")
    ingested = read_source(sql_source("sqlite:///nowhere.sqlite"), TWO_TABLES, tmp_path)
    assert len(ingested.tables["customers"]) == 500


def test_a_password_in_params_is_refused(tmp_path):
    with pytest.raises(ConfigError, match=r"holds a password; put the URL in \$TEST_PIPELINE"):
        read_source(sql_source("postgresql+psycopg://me:secret@localhost/db"), TABLES, tmp_path)


def test_sql_problems_name_the_table_without_creating_files(sqlite_db, tmp_path):
    url = f"sqlite:///{sqlite_db}"
    with pytest.raises(InputError, match=r"source.tables.customers \('customerz'\): .*no such"):
        read_source(sql_source(url, customers="customerz"), TWO_TABLES, tmp_path)
    with pytest.raises(InputError, match=r"source.tables.plans \(.*\) has no rows"):
        read_source(
            sql_source(url, plans="SELECT * FROM plans WHERE price > 99"), TWO_TABLES, tmp_path
        )
    query = "SELECT customer_id, region FROM customers"
    with pytest.raises(InputError, match=r"table 'customers' has no 'year' column"):
        read_source(sql_source(url, customers=query), TWO_TABLES, tmp_path)
    missing = tmp_path / "missing.sqlite"
    with pytest.raises(InputError, match="does not exist"):
        read_source(sql_source(f"sqlite:///{missing}"), TWO_TABLES, tmp_path)
    assert not missing.exists()
