"""Validate one part of a raw table: its raw contract, the dataset's clean, its interim contract.

The same function runs on both engines: the pandas engine hands it each table whole (one
part), the Dask engine each part of each table. `clean` sees one table's rows at a time, the
other tables present with their columns but no rows, so a repair means the same on both.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path

import pandas as pd
import pandera.pandas as pa

from pipeline.contracts.apply import check
from pipeline.engine.parts import read_part
from pipeline.engine.runner import Runner


@dataclass(frozen=True)
class Validating:
    """How every part of one table is validated and cleaned."""

    table: str
    raw: pa.DataFrameSchema  # as part_schema gives it
    interim: pa.DataFrameSchema
    raw_source: str  # the tables' paths, as reports name them
    interim_source: str
    empty: Mapping[str, pd.DataFrame]  # every table's columns, no rows: what clean sees besides
    clean: Callable | None  # the dataset's: (tables, options) -> (tables, repair counts)
    options: dict
    batch_column: str
    drop_extra_columns: bool


@dataclass(frozen=True)
class PartChecked:
    raw: dict  # the part's raw contract report
    interim: dict | None  # None when the raw contract failed: nothing was cleaned or written
    repairs: dict[str, int]


def validate_part(
    how: Validating, runner: Runner, part: Path, offset: int, table: Path
) -> PartChecked:
    """Check, clean and check again one part; write it to `table` when it passes."""
    frame = read_part(part, offset)
    checked, raw = check(
        how.raw,
        frame,
        how.raw_source,
        drop_extra_columns=how.drop_extra_columns,
        batch_column=how.batch_column,
    )
    if not raw["valid"]:
        return PartChecked(raw, None, {})
    tables, repairs = {how.table: checked}, {}
    if how.clean:
        tables, repairs = how.clean({**how.empty, how.table: checked}, how.options)
    checked, interim = check(
        how.interim, tables[how.table], how.interim_source, batch_column=how.batch_column
    )
    runner.write(checked, table, part.name)
    return PartChecked(raw, interim, dict(repairs))
