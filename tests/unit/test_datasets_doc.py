"""docs/datasets.md's table of the dataset interface names every key the config schema has:
the page a team reads to describe its table cannot fall behind the code."""

from __future__ import annotations

import dataclasses
import re
import typing

from helpers import ROOT

from pipeline.config import ColumnRules, DatasetConfig


def keys(schema: type, prefix: str = "") -> list[str]:
    """The dotted keys of a config dataclass; a dict of dataclasses adds the inner keys."""
    found = []
    hints = typing.get_type_hints(schema)
    for field in dataclasses.fields(schema):
        key = f"{prefix}{field.name}"
        found.append(key)
        inner = hints[field.name]
        while typing.get_origin(inner) is dict:  # derived: name -> spec; columns: table -> ...
            inner = typing.get_args(inner)[-1]
        if dataclasses.is_dataclass(inner):
            found += keys(inner, f"{key}.")
    return found


def documented_words() -> set[str]:
    page = (ROOT / "docs" / "datasets.md").read_text()
    table = page.split("## Every key", 1)[1].split("\n## ", 1)[0]
    return {word for code in re.findall(r"`([^`]+)`", table) for word in re.findall(r"\w+", code)}


def documented_keys() -> list[str]:
    """The dataset group's keys, and those of the column rules its contract file holds."""
    return keys(DatasetConfig) + keys(ColumnRules)


def test_the_key_list_reads_the_schema():
    found = set(documented_keys())
    assert {"batch.column", "contract_file", "gate.min_roc_auc", "api.row_name"} <= found
    assert {"columns.allow_infinite", "computed_columns.pattern"} <= found


def test_every_key_of_the_dataset_group_is_in_the_docs_table():
    words = documented_words()
    missing = [key for key in documented_keys() if not set(key.split(".")) <= words]
    assert not missing, f"docs/datasets.md's table (## Every key) lacks: {missing}"
