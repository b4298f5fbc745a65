"""Files that cannot be read stop ingest with the file's name and the reason; nothing is lost.

Each case lands a broken third year of the fixture dataset next to two good ones, runs real
`dvc repro`, checks the message and that no partial output exists, then restores the last good
state with `git checkout` + `dvc checkout`.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from helpers import run
from landed_repo import (
    BAD_BATCH,
    LANDED,
    assert_restored,
    assert_stopped_cleanly,
    good_year,
    land,
    landed_repo,
    restore_last_good_state,
    snapshot,
)

pytestmark = pytest.mark.slow


def write_bytes(content: bytes):
    return lambda path: path.write_bytes(content)


def header_only(path: Path) -> None:
    good_year().head(0).to_csv(path, index=False)


def truncated_parquet(path: Path) -> None:
    good_year().to_parquet(path, index=False)
    path.write_bytes(path.read_bytes()[: path.stat().st_size // 2])


def utf16_csv(path: Path) -> None:
    good_year().to_csv(path, index=False, encoding="utf-16")


def semicolon_csv(path: Path) -> None:
    good_year().to_csv(path, index=False, sep=";")


def without_tenure(path: Path) -> None:
    good_year().drop(columns="tenure_months").to_csv(path, index=False)


CSV, PARQUET = f"{BAD_BATCH}.csv", f"{BAD_BATCH}.parquet"
CASES = {
    "empty file": (CSV, write_bytes(b""), f"{LANDED}/{CSV}: the file is empty (0 bytes)"),
    "header only": (CSV, header_only, f"{LANDED}/{CSV}: the file has a header but no rows"),
    "truncated parquet": (
        PARQUET,
        truncated_parquet,
        f"{LANDED}/{PARQUET}: not a readable Parquet file (truncated or corrupt?)",
    ),
    "other encoding": (CSV, utf16_csv, f"{LANDED}/{CSV}: not utf-8 text (byte 0xff"),
    "other delimiter": (CSV, semicolon_csv, "the file looks ';'-delimited"),
    "missing column": (
        CSV,
        without_tenure,
        f"{LANDED}/{CSV}: column(s) ['tenure_months'] missing (present in {LANDED}/2019.csv)",
    ),
}


# Every case on the pandas engine. On Dask each file is read by the same function, in a task
# of its own: two cases check that a reader's message comes back from its task whole, and that
# a column missing from one file is still found against the files other tasks read.
ON_DASK = ["empty file", "missing column"]
ENGINE_CASES = [("pandas", case) for case in CASES] + [
    pytest.param("dask", case, marks=pytest.mark.dask) for case in ON_DASK
]


@pytest.mark.parametrize(("engine", "case"), ENGINE_CASES)
def test_an_unreadable_file_stops_ingest_and_checkout_restores(engine, case, tmp_path):
    repo = landed_repo(tmp_path / "repo", engine)  # this test's own copy of the two good years
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
