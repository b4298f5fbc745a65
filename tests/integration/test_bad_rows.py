"""Rows that break the contract stop validate, naming file, column, rule, count and examples.

Each case lands a March whose flights break one rule next to two good months, runs real
`dvc repro`, checks the message, the report and that nothing downstream was written, then
restores the last good state with `git checkout` + `dvc checkout`. A stage killed with
SIGKILL in the middle of writing leaves nothing a later stage would read.
"""

from __future__ import annotations

import json
import signal
import subprocess
import sys
import time
from pathlib import Path

import pandas as pd
import pytest
from helpers import run, stages_ran
from landed_repo import (
    assert_restored,
    assert_stopped_cleanly,
    digest,
    land,
    leftovers,
    make_landed_repo,
    march,
    restore_last_good_state,
    snapshot,
)

pytestmark = pytest.mark.slow

ORIGIN = "in batch 2013-03 (data/landing/flights/2013-03.csv)"


@pytest.fixture(scope="module")
def repo(tmp_path_factory) -> Path:
    return make_landed_repo(tmp_path_factory.mktemp("bad-rows") / "repo")


def csv_with(change):
    """A writer of March as CSV after `change(flights)` edits it in place."""

    def write(path: Path) -> None:
        flights = march()[0].astype({"distance": object, "carrier": object})
        change(flights)
        flights.to_csv(path, index=False)

    return write


def set_values(column, rows, value):
    return csv_with(
        lambda flights: flights.__setitem__(
            column, flights[column].mask(flights.index.isin(rows), value)
        )
    )


def duplicate_rows(flights: pd.DataFrame) -> None:
    flights.loc[len(flights)] = flights.iloc[10]
    flights.loc[len(flights)] = flights.iloc[20]


CASES = {
    "extra column": (
        csv_with(lambda f: f.insert(3, "passenger_name", "Jane Doe")),
        ["column 'passenger_name', rule column_in_schema"],
    ),
    "wrong type": (
        set_values("distance", [5], "abc"),
        ["column 'distance', rule values are int64: 1 row(s) " + ORIGIN, "e.g. ['abc']"],
    ),
    "nulls where forbidden": (
        set_values("carrier", range(5), None),
        ["column 'carrier', rule not_nullable: 5 row(s) " + ORIGIN],
    ),
    "out of range": (
        set_values("distance", [1, 2, 3], -100),
        ["column 'distance', rule greater_than(0): 3 row(s) " + ORIGIN, "e.g. ['-100']"],
    ),
    "unknown category": (
        set_values("origin", [7, 8, 9, 10], "XXX"),
        ["column 'origin', rule isin(['EWR', 'JFK', 'LGA']): 4 row(s) " + ORIGIN, "['XXX']"],
    ),
    "duplicated keys": (
        csv_with(duplicate_rows),
        ["rule multiple_fields_uniqueness", ": 4 row(s) " + ORIGIN],
    ),
}


@pytest.mark.parametrize("case", CASES)
def test_a_broken_rule_stops_validate_and_checkout_restores(repo, case):
    write, fragments = CASES[case]
    good = snapshot(repo)
    land(repo, "2013-03.csv", write)
    try:
        result = run(["dvc", "repro"], repo, check=False)
        assert (
            "data/raw/flights.parquet: 1 rule(s) of the raw flights contract failed"
            in result.stderr
        )
        for fragment in fragments:
            assert fragment in result.stderr
        assert "full report: reports/validation/validate.json" in result.stderr
        assert_stopped_cleanly(repo, result, "validate", good)
        report = json.loads((repo / "reports/validation/validate.json").read_text())
        assert report["valid"] is False and report["failing_rules"] == 1
    finally:
        restore_last_good_state(repo)
    assert_restored(repo, good)


def test_the_drop_policy_removes_an_extra_column_and_reports_it(repo):
    good = snapshot(repo)
    land(repo, "2013-03.csv", CASES["extra column"][0])
    params = repo / "params.yaml"
    params.write_text(params.read_text().replace("extra_columns: fail", "extra_columns: drop"))
    try:
        result = run(["dvc", "repro"], repo)
        assert "unknown column(s) ['passenger_name'] dropped" in result.stderr
        report = json.loads((repo / "reports/validation/validate.json").read_text())
        assert report["valid"] is True
        assert report["tables"][0]["dropped_columns"] == ["passenger_name"]
        assert "passenger_name" not in pd.read_parquet(repo / "data/interim/flights.parquet")
    finally:
        restore_last_good_state(repo)
    assert_restored(repo, good)


def million_rows(bad_row: int | None):
    """March repeated to a million rows, with flight numbers shifted to keep keys unique."""

    def write(path: Path) -> None:
        flights = march()[0]
        copies = -(-1_000_000 // len(flights))
        big = pd.concat([flights] * copies, ignore_index=True).head(1_000_000)
        big["flight"] += 10_000 * (big.index // len(flights))
        if bad_row is not None:
            big.loc[bad_row, "distance"] = -1
        big.to_parquet(path, index=False)

    return write


def test_one_bad_row_in_a_million_is_found_and_named(repo):
    good = snapshot(repo)
    land(repo, "2013-03.parquet", million_rows(bad_row=654_321))
    try:
        result = run(["dvc", "repro"], repo, check=False)
        assert (
            "column 'distance', rule greater_than(0): 1 row(s) in batch 2013-03 "
            "(data/landing/flights/2013-03.parquet), e.g. ['-1']" in result.stderr
        )
        assert_stopped_cleanly(repo, result, "validate", good)
    finally:
        restore_last_good_state(repo)
    assert_restored(repo, good)


def test_a_stage_killed_while_writing_leaves_the_previous_output(repo):
    raw = repo / "data/raw/flights.parquet"
    good = snapshot(repo)
    land(repo, "2013-03.parquet", million_rows(bad_row=None))
    try:
        stage = subprocess.Popen(
            [sys.executable, "-m", "pipeline.stages.ingest"],
            cwd=repo,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        deadline = time.monotonic() + 120
        while not list(raw.parent.glob(".flights.parquet.*.tmp")):
            assert stage.poll() is None, "ingest finished before it could be killed mid-write"
            assert time.monotonic() < deadline
            time.sleep(0.005)
        stage.send_signal(signal.SIGKILL)
        stage.wait(timeout=30)
        # The final name still holds the previous complete file; the half-written one has a
        # temporary dot-name that no stage reads, and DVC knows ingest must run again.
        assert digest(raw) == good["data/raw/flights.parquet"]
        assert "ingest" in run(["dvc", "status"], repo).stdout
        rerun = run(["dvc", "repro", "--single-item", "ingest"], repo)
        assert stages_ran(rerun.stdout) == ["ingest"]
        assert leftovers(repo) == []
        assert len(pd.read_parquet(raw, columns=["batch"])) > 1_000_000
    finally:
        restore_last_good_state(repo)
    assert_restored(repo, good)
