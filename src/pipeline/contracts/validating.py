"""Validate one part of a raw table: its raw contract, the dataset's clean, its interim contract.

The same function runs on both engines: the pandas engine hands it each table whole (one
part), the Dask engine each part of each table. `clean` sees one table's rows at a time, the
other tables present with their columns but no rows, so a repair means the same on both.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path

import pandas as pd
import pandera.pandas as pa

from pipeline.config import table_file
from pipeline.contracts.apply import check, conclude
from pipeline.contracts.dataset import DatasetContracts
from pipeline.contracts.partitioned import part_schema, table_report
from pipeline.engine.parts import offsets, part_files, read_part
from pipeline.engine.runner import Runner
from pipeline.io import atomic_dir


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


@dataclass(frozen=True)
class Validated:
    raw: dict  # the raw contracts' report over every table
    interim: dict  # the interim contracts' report
    repairs: dict[str, int]  # clean's counts, added up over tables and parts


def validate_tables(
    runner: Runner,
    contracts: DatasetContracts,
    *,
    raw_dir: str,
    interim_dir: str,
    names: list[str],
    batch_column: str,
    clean: Callable | None,
    options: dict,
    drop_extra_columns: bool,
    report_file: Path,
    origins: dict[str, str],
) -> Validated:
    """Every raw table checked, cleaned and checked again, written to `interim_dir` (all or
    none); a ContractError naming file, batch, column and rule when a rule fails."""
    raw = {name: part_files(table_file(raw_dir, name)) for name in names}
    empty = {
        name: check(
            part_schema(contracts.raw[name], parts),
            pd.read_parquet(parts[0]).iloc[:0],
            "",
            drop_extra_columns=drop_extra_columns,
        )[0]
        for name, parts in raw.items()
    }
    done: dict[str, list[PartChecked]] = {}
    with atomic_dir(interim_dir) as out:
        for name, parts in raw.items():
            how = Validating(
                table=name,
                raw=part_schema(contracts.raw[name], parts),
                interim=part_schema(contracts.interim[name], parts),
                raw_source=str(table_file(raw_dir, name)),
                interim_source=str(table_file(interim_dir, name)),
                empty=empty,
                clean=clean,
                options=options,
                batch_column=batch_column,
                drop_extra_columns=drop_extra_columns,
            )
            with runner.table(table_file(out, name)) as written:
                done[name] = runner.run(
                    [
                        (validate_part, how, runner, part, offset, written)
                        for part, offset in zip(parts, offsets(parts), strict=True)
                    ]
                )
        raw_report = conclude(
            [
                table_report(
                    [part.raw for part in done[name]],
                    contracts.raw[name],
                    raw[name],
                    str(table_file(raw_dir, name)),
                    batch_column,
                )
                for name in names
            ],
            report_file,
            origins,
        )
        interim_report = conclude(
            [
                table_report(
                    [part.interim for part in done[name]],
                    contracts.interim[name],
                    part_files(table_file(out, name)),
                    str(table_file(interim_dir, name)),
                    batch_column,
                )
                for name in names
            ],
            report_file,
            None,
        )
    repairs: Counter = Counter()  # update keeps a repair counted zero times; + would not
    for part in (part for parts in done.values() for part in parts):
        repairs.update(part.repairs)
    return Validated(raw_report, interim_report, dict(repairs))
