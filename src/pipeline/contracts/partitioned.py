"""Contracts over a partitioned table: every part checked on its own, reported as one table.

Each part is checked with `check` (pandas, the same rules) as one Dask task, and the parts'
reports merge into the report the whole table would give: rows and failing rows add up, the
examples are the first in row order, the batches the first in batch order. Uniqueness is the
one rule that spans parts: it is checked on the whole table from the key columns' hashes,
8 bytes a row, then confirmed on the candidate rows' values.
"""

from __future__ import annotations

import copy
from collections.abc import Callable
from pathlib import Path

import numpy as np
import pandas as pd
import pandera.pandas as pa

from pipeline.contracts.apply import _batches, causes, check
from pipeline.engine.cluster import run_tasks
from pipeline.engine.parts import offsets, part_files, read_part

EXAMPLES = 5


def per_part(schema: pa.DataFrameSchema) -> pa.DataFrameSchema:
    """The schema without its uniqueness rules, which `uniqueness` checks across parts."""
    columns = {name: {"unique": False} for name, column in schema.columns.items() if column.unique}
    schema = copy.deepcopy(schema.update_columns(columns) if columns else schema)
    schema.unique = None
    return schema


def part_schema(schema: pa.DataFrameSchema, parts: list[Path]) -> pa.DataFrameSchema:
    """The schema each part is checked with: the whole schema for a table of one part (the
    pandas engine's), else `per_part`, with `table_report` checking uniqueness across parts."""
    return schema if len(parts) == 1 else per_part(schema)


def unique_keys(schema: pa.DataFrameSchema) -> list[tuple[list[str], str]]:
    """Each uniqueness rule: its columns and pandera's name for it."""
    keys = []
    if schema.unique:
        table_key = [schema.unique] if isinstance(schema.unique, str) else list(schema.unique)
        keys.append((table_key, "multiple_fields_uniqueness"))
    keys += [([name], "field_uniqueness") for name, c in schema.columns.items() if c.unique]
    return keys


def merge(partials: list[dict], source: str) -> dict:
    """One table's report from its parts' reports, in row order."""
    first = partials[0]
    merged: dict[tuple[str, str], dict] = {}
    for partial in partials:
        for failure in partial["failures"]:
            key = (failure["column"], failure["rule"])
            into = merged.setdefault(key, {**failure, "failing_rows": 0, "examples": []})
            into["failing_rows"] += failure["failing_rows"]
            into["examples"] = list(dict.fromkeys(into["examples"] + failure["examples"]))[
                :EXAMPLES
            ]
            if "batches" in failure:
                into["batches"] = sorted({*into.get("batches", []), *failure["batches"]})[:10]
    failures = causes(list(merged.values()))
    report = {"table": first["table"], "file": source, "rows": sum(p["rows"] for p in partials)}
    if "dropped_columns" in first:
        report["dropped_columns"] = sorted(
            {c for p in partials for c in p.get("dropped_columns", [])}
        )
    return report | {"valid": not failures, "failures": failures}


def uniqueness(
    schema: pa.DataFrameSchema,
    parts: list[Path],
    offsets: list[int],
    batch_column: str,
    compute: Callable[[list], list],
) -> list[dict]:
    """Failures of the schema's uniqueness rules across all parts, as `check` reports them."""
    import pyarrow.parquet as pq

    present = set(pq.read_schema(parts[0]).names) if parts else set()
    failures = []
    for columns, rule in unique_keys(schema):
        if not set(columns) <= present:
            continue  # an optional column the table does not hold: nothing to judge
        tasks = [(_key_hashes, part, columns) for part in parts]
        hashes = np.concatenate(compute(tasks)) if parts else np.array([], dtype="uint64")
        values, counts = np.unique(hashes, return_counts=True)
        repeated = values[counts > 1]
        if not len(repeated):
            continue
        rows = compute(
            [
                (_rows_with_hashes, part, offset, columns, repeated)
                for part, offset in zip(parts, offsets, strict=True)
            ]
        )
        candidates = pd.concat(rows)
        duplicated = candidates[candidates.duplicated(subset=columns, keep=False)]
        if duplicated.empty:
            continue  # hashes alike, values not: no failure
        failures.append(_unique_failure(duplicated, columns, rule, batch_column))
    return failures


def _key_hashes(part: Path, columns: list[str]) -> np.ndarray:
    frame = pd.read_parquet(part, columns=columns)
    return pd.util.hash_pandas_object(frame, index=False).to_numpy()


def _rows_with_hashes(
    part: Path, offset: int, columns: list[str], hashes: np.ndarray
) -> pd.DataFrame:
    frame = read_part(part, offset)
    mine = pd.util.hash_pandas_object(frame[columns], index=False).isin(hashes)
    return frame[mine.to_numpy()]


def _unique_failure(rows: pd.DataFrame, columns: list[str], rule: str, batch_column: str) -> dict:
    if rule == "field_uniqueness":
        examples = rows[columns[0]].astype(str).unique()[:EXAMPLES].tolist()
    else:
        columns = sorted(columns)  # as pandera's failure cases name them
        examples = [
            f"row {index}: " + ", ".join(f"{c}={rows.at[index, c]}" for c in columns)
            for index in rows.index[:EXAMPLES]
        ]
    return {
        "column": ", ".join(columns),
        "rule": rule,
        "failing_rows": len(rows),
        "examples": examples,
        **_batches(rows, rows.index, batch_column),
    }


def table_report(
    partials: list[dict | None],
    schema: pa.DataFrameSchema,
    parts: list[Path],
    source: str,
    batch_column: str,
) -> dict:
    """One table's report: its parts' reports and the uniqueness rules across its parts."""
    partials = [partial for partial in partials if partial is not None]
    if not partials:  # a raw failure stopped every part before the interim contract
        return {"table": schema.name, "file": source, "rows": 0, "valid": True, "failures": []}
    if len(parts) == 1:  # checked whole (part_schema): its report is the table's
        return partials[0]
    across = uniqueness(schema, parts, offsets(parts), batch_column, run_tasks)
    return merge([*partials, {"rows": 0, "failures": across}], source)


def check_parts(
    schema: pa.DataFrameSchema,
    table: str | Path,
    source: str,
    batch_column: str = "batch",
    run: Callable[[list], list] = run_tasks,
) -> dict:
    """A table checked part by part (`run` runs the tasks: a Runner's, or the cluster's):
    the whole table's report."""
    parts = part_files(table)
    partials = run(
        [
            (_checked_report, part_schema(schema, parts), part, offset, source, batch_column)
            for part, offset in zip(parts, offsets(parts), strict=True)
        ]
    )
    return table_report(partials, schema, parts, source, batch_column)


def _checked_report(schema, part, offset, source, batch_column) -> dict:
    return check(schema, read_part(part, offset), source, batch_column=batch_column)[1]
