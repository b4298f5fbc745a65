"""A table checked part by part reports exactly what the whole table reports."""

from __future__ import annotations

import pandas as pd
import pandera.pandas as pa
import pytest

from pipeline.contracts.apply import check
from pipeline.contracts.partitioned import check_parts
from pipeline.engine.parts import PART, chunks, part_files, read_table, write_part

SCHEMA = pa.DataFrameSchema(
    {
        "batch": pa.Column(str),
        "id": pa.Column(int, unique=True),
        "kind": pa.Column(str, pa.Check.isin(["a", "b"])),
        "amount": pa.Column(float, pa.Check.in_range(0, 100), nullable=True),
    },
    unique=["batch", "kind", "amount"],
    name="orders",
)


def table() -> pd.DataFrame:
    rows = 1000
    frame = pd.DataFrame(
        {
            "batch": [str(2020 + i // 250) for i in range(rows)],
            "id": range(rows),
            "kind": ["a", "b"] * (rows // 2),
            "amount": [float(i % 97) + i / 1000 for i in range(rows)],
        }
    )
    frame.loc[[3, 600], "kind"] = "z"  # a bad value in two parts
    frame.loc[[10, 990], "amount"] = 1e6  # out of range in two parts
    frame.loc[[20, 800], "id"] = 7  # the id of row 7, across parts
    frame.loc[900, ["batch", "kind", "amount"]] = frame.loc[760, ["batch", "kind", "amount"]]
    frame.loc[901, ["batch", "kind", "amount"]] = frame.loc[760, ["batch", "kind", "amount"]]
    return frame


@pytest.fixture
def parts(tmp_path):
    folder = tmp_path / "orders.parquet"
    for index, piece in enumerate(chunks(table(), 100, "batch")):
        write_part(piece, folder, PART.format(0, index))
    return folder


def test_parts_are_cut_at_batches_and_by_size_and_read_back_in_order(parts):
    assert len(part_files(parts)) == 12  # 4 batches of 250 rows, each cut at 100 and 200
    pd.testing.assert_frame_equal(read_table(parts), table())


def test_the_parts_report_is_the_whole_tables_report(parts):
    _, whole = check(SCHEMA, table(), "data/orders.parquet")
    found = check_parts(SCHEMA, parts, "data/orders.parquet")
    assert not whole["valid"]
    assert found == whole
    rules = {failure["rule"] for failure in found["failures"]}
    assert {"field_uniqueness", "multiple_fields_uniqueness"} <= rules


def test_a_valid_table_is_valid_in_parts(tmp_path):
    good = table().drop(index=[3, 600, 10, 990, 20, 800, 900, 901]).reset_index(drop=True)
    folder = tmp_path / "good.parquet"
    for index, piece in enumerate(chunks(good, 64, "batch")):
        write_part(piece, folder, PART.format(0, index))
    report = check_parts(SCHEMA, folder, "good")
    assert report == check(SCHEMA, good, "good")[1]
    assert report["valid"] and report["rows"] == len(good)
