"""Files that cannot be read stop ingest with the file's name and the reason; nothing is lost.

Each case lands a broken March next to two good months, runs real `dvc repro`, checks the
message and that no partial output exists, then restores the last good state with
`git checkout` + `dvc checkout`.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from helpers import run
from landed_repo import (
    assert_restored,
    assert_stopped_cleanly,
    land,
    make_landed_repo,
    march,
    restore_last_good_state,
    snapshot,
)

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def repo(tmp_path_factory) -> Path:
    return make_landed_repo(tmp_path_factory.mktemp("bad-files") / "repo")


def write_bytes(content: bytes):
    return lambda path: path.write_bytes(content)


def header_only(path: Path) -> None:
    march()[0].head(0).to_csv(path, index=False)


def truncated_parquet(path: Path) -> None:
    march()[0].to_parquet(path, index=False)
    path.write_bytes(path.read_bytes()[: path.stat().st_size // 2])


def utf16_csv(path: Path) -> None:
    march()[0].to_csv(path, index=False, encoding="utf-16")


def semicolon_csv(path: Path) -> None:
    march()[0].to_csv(path, index=False, sep=";")


def without_distance(path: Path) -> None:
    march()[0].drop(columns="distance").to_csv(path, index=False)


CASES = {
    "empty file": ("2013-03.csv", write_bytes(b""), "2013-03.csv: the file is empty (0 bytes)"),
    "header only": ("2013-03.csv", header_only, "2013-03.csv: the file has a header but no rows"),
    "truncated parquet": (
        "2013-03.parquet",
        truncated_parquet,
        "2013-03.parquet: not a readable Parquet file (truncated or corrupt?)",
    ),
    "other encoding": ("2013-03.csv", utf16_csv, "2013-03.csv: not utf-8 text (byte 0xff"),
    "other delimiter": ("2013-03.csv", semicolon_csv, "the file looks ';'-delimited"),
    "missing column": (
        "2013-03.csv",
        without_distance,
        "2013-03.csv: column(s) ['distance'] missing (present in data/landing/flights/2013-01",
    ),
}


@pytest.mark.parametrize("case", CASES)
def test_an_unreadable_file_stops_ingest_and_checkout_restores(repo, case):
    name, write, message = CASES[case]
    good = snapshot(repo)
    land(repo, name, write)
    try:
        result = run(["dvc", "repro"], repo, check=False)
        assert message in result.stderr
        assert_stopped_cleanly(repo, result, "ingest", good)
        report = json.loads((repo / "reports/validation/ingest.json").read_text())
        assert report["valid"] is False and message in report["error"]
    finally:
        restore_last_good_state(repo)
    assert_restored(repo, good)
