"""Applying contracts: lazy checks, lossless conversion, and reports a person can read.

`enforce` checks every table against every rule before it stops, so one run shows all that
is wrong. The summary names file, column, rule, failing rows, batches and examples; the full
report goes to the stage's JSON file under reports/validation/.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import numpy as np
import pandas as pd
import pandera.pandas as pa

from pipeline.errors import ContractError
from pipeline.io import write_json

# Cross-column rules and the columns each involves, so that a failure can name them.
ROW_RULE_COLUMNS: dict[str, list[str]] = {}


def row_rule(columns: list[str], rule: Callable[[pd.DataFrame], pd.Series], text: str) -> pa.Check:
    """A rule across `columns` that must hold on every row; `text` states it for people."""
    ROW_RULE_COLUMNS[text] = columns
    return pa.Check(rule, name=text, error=text)


def enforce(
    checks: list[tuple[pa.DataFrameSchema, pd.DataFrame, str]],
    report_file: str | Path,
    *,
    drop_extra_columns: bool = False,
    origins: dict[str, str] | None = None,
    batch_column: str = "batch",
) -> tuple[list[pd.DataFrame], dict]:
    """Check every table (all of them, every rule) and return them coerced to their contracts.

    On failure the full report is written to `report_file` and ContractError carries a short
    summary; on success the caller adds its counts to the report and writes it.
    """
    frames, tables = [], []
    for schema, frame, source in checks:
        checked, table = check(
            schema,
            frame,
            source,
            drop_extra_columns=drop_extra_columns,
            batch_column=batch_column,
        )
        frames.append(checked)
        tables.append(table)
    return frames, conclude(tables, report_file, origins)


def conclude(tables: list[dict], report_file: str | Path, origins: dict[str, str] | None) -> dict:
    """The stage's report from its tables' reports; ContractError when any table failed."""
    report = {
        "valid": all(table["valid"] for table in tables),
        "failing_rules": sum(len(table["failures"]) for table in tables),
        "rows": {Path(table["file"]).stem: table["rows"] for table in tables},
        "tables": tables,
    }
    if not report["valid"]:
        write_json(report, report_file)
        raise ContractError(
            "\n".join(summarize(table, origins or {}) for table in tables if not table["valid"])
            + f"\nfull report: {report_file}",
            report,
        )
    return report


def combine(*reports: dict) -> dict:
    """One stage report from the reports of several `enforce` calls."""
    return {
        "valid": all(report["valid"] for report in reports),
        "failing_rules": sum(report["failing_rules"] for report in reports),
        "rows": {key: n for report in reports for key, n in report["rows"].items()},
        "tables": [table for report in reports for table in report["tables"]],
    }


def summarize(table: dict, origins: dict[str, str]) -> str:
    """A few lines a person reads: file, column, rule, failing rows, batches, examples."""
    count = len(table["failures"])
    lines = [f"{table['file']}: {count} rule(s) of the {table['table']} contract failed:"]
    for failure in table["failures"]:
        batches = [
            f"{batch} ({origins[batch]})" if batch in origins else batch
            for batch in failure.get("batches", [])
        ]
        where = f" in batch {', '.join(batches)}" if batches else ""
        lines.append(
            f"  - column {failure['column']!r}, rule {failure['rule']}: "
            f"{failure['failing_rows']} row(s){where}, e.g. {failure['examples']}"
        )
    return "\n".join(lines)


def check(
    schema: pa.DataFrameSchema,
    frame: pd.DataFrame,
    source: str,
    *,
    drop_extra_columns: bool = False,
    examples: int = 5,
    batch_column: str = "batch",
) -> tuple[pd.DataFrame, dict]:
    """Validate lazily. Return the frame coerced to the contract and a report of every failure.

    Values are converted only without loss ("12" -> 12, 12.0 -> 12); "abc" or 1.5 in an
    integer column is a failure that names the value, never a silent cast.
    """
    extra = [column for column in frame.columns if column not in schema.columns]
    if drop_extra_columns and extra:
        frame = frame.drop(columns=extra)
    frame, failures = _coerce(frame, schema, examples, batch_column)
    failures += _non_finite(frame, schema, examples, batch_column)
    report = {"table": schema.name, "file": source, "rows": len(frame)}
    if drop_extra_columns:
        report["dropped_columns"] = extra
    try:
        frame = schema.validate(frame, lazy=True)
    except pa.errors.SchemaErrors as errors:
        failures += _collapse(errors.failure_cases, frame, examples, batch_column)
    failures = causes(failures)
    return frame, report | {"valid": not failures, "failures": failures}


def causes(failures: list[dict]) -> list[dict]:
    """Causes only, sorted: the rules of a column that could not be converted (or holds inf)
    cannot be judged, and a column holding nulls fails its dtype check too."""

    def before_rules(failure: dict) -> bool:
        return failure["rule"].startswith("values are ") or failure["rule"] == "finite"

    unconverted = {f["column"] for f in failures if before_rules(f)}
    with_nulls = {f["column"] for f in failures if f["rule"] == "not_nullable"}
    kept = [
        f
        for f in failures
        if before_rules(f)
        or (
            f["column"] not in unconverted
            and not (f["rule"].startswith("dtype(") and f["column"] in with_nulls)
        )
    ]
    return sorted(kept, key=lambda failure: (failure["column"], failure["rule"]))


def _coerce(frame: pd.DataFrame, schema: pa.DataFrameSchema, examples: int, batch_column: str):
    """Convert columns to the contract's numeric and string types where no value changes."""
    frame = frame.copy()
    failures = []
    for name, column in schema.columns.items():
        if name not in frame.columns:
            continue
        values = frame[name]
        kind = str(column.dtype)
        if kind in ("int64", "float64") and not pd.api.types.is_numeric_dtype(values):
            numbers = pd.to_numeric(values, errors="coerce")
            bad = values.notna() & numbers.isna()
        elif kind == "int64" and pd.api.types.is_float_dtype(values):
            numbers = values
            bad = values.notna() & (values % 1 != 0)
        elif kind == "float64" and (
            pd.api.types.is_integer_dtype(values) or pd.api.types.is_bool_dtype(values)
        ):
            # Widening is lossless: a nullable float column whose batch has no missing value
            # arrives as integers.
            frame[name] = values.astype("float64")
            continue
        elif kind == "str" and not pd.api.types.is_string_dtype(values):
            frame[name] = values.astype("str").where(values.notna())
            continue
        else:
            continue
        if bad.any():
            failures.append(
                {
                    "column": name,
                    "rule": f"values are {kind}",
                    "failing_rows": int(bad.sum()),
                    "examples": values[bad].astype(str).unique()[:examples].tolist(),
                    **_batches(frame, bad, batch_column),
                }
            )
        elif kind == "int64" and numbers.notna().all():
            frame[name] = numbers.astype("int64")
        else:
            frame[name] = numbers.astype("float64")
    return frame, failures


def _non_finite(
    frame: pd.DataFrame, schema: pa.DataFrameSchema, examples: int, batch_column: str
) -> list[dict]:
    """inf and -inf in number columns, unless the column's metadata allows them.

    pandera's range checks let them through where no bound is set, and a model then trains
    on them; `metadata={"allow_infinite": True}` marks a column where they mean something.
    """
    failures = []
    for name, column in schema.columns.items():
        if name not in frame.columns or not pd.api.types.is_float_dtype(frame[name]):
            continue
        if (column.metadata or {}).get("allow_infinite"):
            continue
        bad = pd.Series(np.isinf(frame[name].to_numpy()), index=frame.index)
        if bad.any():
            failures.append(
                {
                    "column": name,
                    "rule": "finite",
                    "failing_rows": int(bad.sum()),
                    "examples": frame.loc[bad, name].astype(str).unique()[:examples].tolist(),
                    **_batches(frame, bad, batch_column),
                }
            )
    return failures


def _batches(frame: pd.DataFrame, rows: pd.Series | pd.Index, batch_column: str) -> dict:
    """The batches the failing rows arrived in, when the table has batches."""
    if batch_column not in frame.columns:
        return {}
    selected = frame.loc[rows, batch_column]
    return {"batches": sorted(selected.dropna().astype(str).unique().tolist())[:10]}


def _collapse(
    cases: pd.DataFrame, frame: pd.DataFrame, examples: int, batch_column: str
) -> list[dict]:
    """One entry per (column, rule) instead of one row per failing value.

    Column rules show failing values; rules across columns (cross-column checks, a key's
    uniqueness) show failing rows with the values of the columns involved.
    """
    cases = cases.assign(check=cases["check"].astype(str))
    across = cases["schema_context"].eq("DataFrameSchema") & cases["index"].notna()
    collapsed = []
    column_cases = cases[~across]
    # A missing or unknown column is named by its failure case, not by the schema.
    about_columns = column_cases["check"].isin(["column_in_schema", "column_in_dataframe"])
    names = (
        column_cases["column"]
        .where(~about_columns, column_cases["failure_case"])
        .fillna(column_cases["failure_case"])
        .astype(str)
    )
    for (column, rule), group in column_cases.groupby([names, "check"], sort=True):
        values = group["failure_case"].dropna().astype(str).unique()[:examples].tolist()
        rows = group["index"].dropna().astype(int).unique()
        collapsed.append(
            {
                "column": column,
                "rule": rule,
                "failing_rows": len(rows) or len(group),
                "examples": values,
                **(_batches(frame, pd.Index(rows), batch_column) if len(rows) else {}),
            }
        )
    for rule, group in cases[across].groupby("check", sort=True):
        columns = ROW_RULE_COLUMNS.get(rule) or sorted(group["column"].dropna().unique())
        columns = [column for column in columns if column in frame.columns]
        rows = group["index"].drop_duplicates().astype(int)
        shown = [
            f"row {index}: " + ", ".join(f"{c}={frame.at[index, c]}" for c in columns)
            for index in rows.head(examples)
        ]
        collapsed.append(
            {
                "column": ", ".join(columns),
                "rule": rule,
                "failing_rows": len(rows),
                "examples": shown,
                **_batches(frame, pd.Index(rows), batch_column),
            }
        )
    return collapsed
