"""Rows that break the contract stop validate, naming file, column, rule, count and examples.

Each case lands a third year of the fixture dataset whose rows break one rule next to two good
years, runs real `dvc repro`, checks the message, the report and that nothing downstream was
written, then restores the last good state with `git checkout` + `dvc checkout`. A stage
killed with SIGKILL in the middle of writing leaves nothing a later stage would read. How each
rule is worded is pinned on in-memory frames (tests/unit/test_contracts.py); here, what the
pipeline does around a failure.
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
    BAD_BATCH,
    LANDED,
    assert_restored,
    assert_stopped_cleanly,
    digest,
    good_year,
    land,
    landed_repo,
    leftovers,
    restore_last_good_state,
    snapshot,
)

pytestmark = pytest.mark.slow

CSV = f"{BAD_BATCH}.csv"
ORIGIN = f"in batch {BAD_BATCH} ({LANDED}/{CSV})"
RAW_FAILED = "data/raw/customers.parquet: 1 rule(s) of the raw customers contract failed"


# Every case on both engines: the same bad input fails the same way on each. Each test has
# its own copy of the two good years.
@pytest.fixture(params=["pandas", pytest.param("dask", marks=pytest.mark.dask)])
def repo(request, tmp_path) -> Path:
    return landed_repo(tmp_path / "repo", request.param)


def csv_with(change):
    """A writer of the year as CSV after `change(customers)` edits it in place."""

    def write(path: Path) -> None:
        customers = good_year().astype(
            {"tenure_months": object, "region": object, "monthly_spend": object}
        )
        change(customers)
        customers.to_csv(path, index=False)

    return write


def set_values(column, rows, value):
    return csv_with(
        lambda customers: customers.__setitem__(
            column, customers[column].mask(customers.index.isin(rows), value)
        )
    )


def test_an_infinite_value_stops_validate_even_where_no_bound_excludes_it(repo):
    """pandera lets inf through a float column whose checks do not exclude it; the finite rule
    does not. Here the amount's upper bound is taken off, so only that rule can catch it."""
    good = snapshot(repo)
    rules = repo / "conf" / "columns" / "shop.yaml"
    bounded = "monthly_spend: {type: float, nullable: true, min: 0, max: 100000}"
    assert rules.read_text().count(bounded) == 1
    rules.write_text(rules.read_text().replace(bounded, bounded.replace(", max: 100000", "")))
    land(repo, CSV, set_values("monthly_spend", [3, 4], float("inf")))
    try:
        result = run(["dvc", "repro"], repo, check=False)
        assert RAW_FAILED in result.stderr
        assert (
            "column 'monthly_spend', rule finite: 2 row(s) " + ORIGIN + ", e.g. ['inf']"
            in result.stderr
        )
        assert_stopped_cleanly(repo, result, "validate", good)
        report = json.loads((repo / "reports/validation/validate.json").read_text())
        [failure] = report["tables"][0]["failures"]
        assert failure["rule"] == "finite" and failure["batches"] == [BAD_BATCH]
    finally:
        restore_last_good_state(repo)
    assert_restored(repo, good)


def test_the_drop_policy_removes_an_extra_column_and_reports_it(repo):
    good = snapshot(repo)
    land(repo, CSV, csv_with(lambda f: f.insert(3, "email", "jane@example.com")))
    params = repo / "params.yaml"
    params.write_text(params.read_text().replace("extra_columns: fail", "extra_columns: drop"))
    try:
        result = run(["dvc", "repro", "validate"], repo)  # the stage that applies the policy
        assert "unknown column(s) ['email'] dropped" in result.stderr
        report = json.loads((repo / "reports/validation/validate.json").read_text())
        assert report["valid"] is True
        assert report["tables"][0]["dropped_columns"] == ["email"]
        assert "email" not in pd.read_parquet(repo / "data/interim/customers.parquet")
    finally:
        restore_last_good_state(repo)
    assert_restored(repo, good)


def million_rows(bad_row: int | None):
    """The year repeated to a million rows, with customer ids shifted to keep them unique."""

    def write(path: Path) -> None:
        customers = good_year()
        copies = -(-1_000_000 // len(customers))
        big = pd.concat([customers] * copies, ignore_index=True).head(1_000_000)
        big["customer_id"] += 1_000_000 * (big.index // len(customers))
        if bad_row is not None:
            big.loc[bad_row, "support_calls"] = -1
        big.to_parquet(path, index=False)

    return write


def fewer_parts(repo: Path) -> None:
    """A million rows in parts of 250,000 on the dask engine (not of 150); the pandas engine
    ignores the key. `restore_last_good_state` puts params.yaml back."""
    run(["python", "-m", "pipeline.cli", "params", "engine.partition_rows=250000"], repo)


def test_one_bad_row_in_a_million_is_found_and_named(repo):
    good = snapshot(repo)
    fewer_parts(repo)
    land(repo, f"{BAD_BATCH}.parquet", million_rows(bad_row=654_321))
    try:
        result = run(["dvc", "repro"], repo, check=False)
        assert (
            f"column 'support_calls', rule in_range(0, 1000): 1 row(s) in batch {BAD_BATCH} "
            f"({LANDED}/{BAD_BATCH}.parquet), e.g. ['-1']" in result.stderr
        )
        assert_stopped_cleanly(repo, result, "validate", good)
    finally:
        restore_last_good_state(repo)
    assert_restored(repo, good)


def test_a_stage_killed_while_writing_leaves_the_previous_output(repo):
    raw = repo / "data/raw"  # a folder: one Parquet file per table
    good = snapshot(repo)
    fewer_parts(repo)
    land(repo, f"{BAD_BATCH}.parquet", million_rows(bad_row=None))
    try:
        stage = subprocess.Popen(
            [sys.executable, "-m", "pipeline.stages.ingest"],
            cwd=repo,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        deadline = time.monotonic() + 120
        while not list(raw.parent.glob(".raw.*.tmp")):
            assert stage.poll() is None, "ingest finished before it could be killed mid-write"
            assert time.monotonic() < deadline
            time.sleep(0.005)
        stage.send_signal(signal.SIGKILL)
        stage.wait(timeout=30)
        # The final name still holds the previous complete file; the half-written one has a
        # temporary dot-name that no stage reads, and DVC knows ingest must run again.
        assert digest(raw) == good["data/raw"]
        assert "ingest" in run(["dvc", "status"], repo).stdout
        rerun = run(["dvc", "repro", "--single-item", "ingest"], repo)
        assert stages_ran(rerun.stdout) == ["ingest"]
        assert leftovers(repo) == []
        assert len(pd.read_parquet(raw / "customers.parquet", columns=["year"])) > 1_000_000
    finally:
        restore_last_good_state(repo)
    assert_restored(repo, good)
