"""`pipeline replay`: held-back batches landed one at a time, each retrained, compared, gated,
decided and committed, on the fixture dataset in a real repository."""

from __future__ import annotations

import json
import shutil

import pandas as pd
import pytest
from helpers import FIXTURE_BATCHES, FIXTURE_FILES, build_three_years, copy_state, run

pytestmark = pytest.mark.slow

# Commits need an author; the test repositories have none configured.
AUTHOR = {
    "GIT_AUTHOR_NAME": "test",
    "GIT_AUTHOR_EMAIL": "test@example.com",
    "GIT_COMMITTER_NAME": "test",
    "GIT_COMMITTER_EMAIL": "test@example.com",
}
REPLAYED = FIXTURE_BATCHES[3:5]  # the two years after the three the state ran on
BROKEN = FIXTURE_BATCHES[5]


def replay(repo, *args, check=True):
    command = ["python", "-m", "pipeline.cli", "replay", "--folder", "held-back", *args]
    return run(command, repo, check=check, env=AUTHOR)


def trailers(repo, key: str, count: int) -> list[str]:
    shown = run(["git", "log", f"-{count}", f"--format=%(trailers:key={key},valueonly)"], repo)
    return [line.strip() for line in shown.stdout.splitlines() if line.strip()][::-1]


@pytest.fixture(scope="module")
def replayed(tmp_path_factory):
    """Three years run, the next two replayed from a folder that also holds the last year
    with a region its contract does not allow."""
    repo = copy_state("three-years", build_three_years, tmp_path_factory.mktemp("replay") / "repo")
    held_back = repo / "held-back"
    held_back.mkdir()
    for batch in FIXTURE_BATCHES:  # the years landed already are in the folder too: skipped
        shutil.copy(FIXTURE_FILES / f"{batch}.csv", held_back)
    broken = pd.read_csv(held_back / f"{BROKEN}.csv")
    broken.loc[broken.index[:3], "region"] = "atlantis"
    broken.to_csv(held_back / f"{BROKEN}.csv", index=False)
    (repo / ".git" / "info" / "exclude").write_text("held-back/\n")
    started = run(["git", "rev-parse", "HEAD"], repo).stdout.strip()
    result = replay(repo, "--to", REPLAYED[-1])
    return repo, started, result


def test_each_batch_is_one_commit_stating_its_verdict_and_decision(replayed):
    repo, started, result = replayed
    log = run(["git", "log", "--format=%s", f"{started}..HEAD"], repo).stdout.splitlines()[::-1]
    assert len(log) == len(REPLAYED)
    assert trailers(repo, "Batch", 2) == REPLAYED
    decisions = trailers(repo, "Decision", 2)
    gates = trailers(repo, "Gate", 2)
    assert set(decisions) <= {"promote", "keep"} and set(gates) <= {"passed", "failed"}
    for subject, batch, gate, decision in zip(log, REPLAYED, gates, decisions, strict=True):
        done = "promoted" if decision == "promote" else "kept the champion"
        assert subject == f"replay {batch}: gate {gate}, {done}"
        assert f"{batch}: gate {gate}, {done}" in result.stdout  # the terminal said it too
    assert run(["git", "branch", "--show-current"], repo).stdout.strip() == "replay"
    assert run(["git", "status", "--porcelain", "--untracked-files=no"], repo).stdout == ""
    assert "Data and pipelines are up to date" in run(["dvc", "status"], repo).stdout


def test_each_commit_holds_the_reports_it_was_decided_on(replayed):
    """The decision in the message is the one the committed gate verdict gives, and the
    comparison was made against the model last promoted on the branch."""
    repo, started, _ = replayed
    from pipeline.lifecycle.promotion import decide

    gate = json.loads((repo / "reports/monitoring/gate.json").read_text())
    assert trailers(repo, "Decision", 1) == [decide(gate).action]
    compared = json.loads((repo / "reports/compare.json").read_text())
    assert compared["status"] == "compared"
    assert set(compared["confidence"]["current"]["difference"]) == {"estimate", "low", "high"}
    pin = json.loads((repo / "models/champion/champion.json").read_text())
    promoted_before = run(
        ["git", "log", "-1", "--skip=1", "--format=%H%x00%(trailers:key=Decision,valueonly)"],
        repo,
    ).stdout.split("\0")
    expected = promoted_before[0] if promoted_before[1].strip() == "promote" else started
    assert pin["commit"] == expected


def test_a_second_replay_does_nothing(replayed):
    repo, _, _ = replayed
    head = run(["git", "rev-parse", "HEAD"], repo).stdout
    again = replay(repo, "--to", REPLAYED[-1])
    assert f"nothing to do, every batch up to {REPLAYED[-1]} is replayed" in again.stdout
    assert run(["git", "rev-parse", "HEAD"], repo).stdout == head


def test_a_batch_breaking_its_contract_stops_the_replay_at_the_last_good_batch(replayed):
    repo, _, _ = replayed
    head = run(["git", "rev-parse", "HEAD"], repo).stdout.strip()
    stopped = replay(repo, "--to", BROKEN, check=False)
    assert stopped.returncode == 1
    assert f"batch {BROKEN}:" in stopped.stderr and "region" in stopped.stderr
    assert "atlantis" in stopped.stderr
    assert f"the branch stays at {head[:7]}" in stopped.stderr
    assert run(["git", "rev-parse", "HEAD"], repo).stdout.strip() == head
    assert run(["git", "status", "--porcelain", "--untracked-files=no"], repo).stdout == ""
    assert not list((repo / "data/landing/customers").glob(f"{BROKEN}.*"))
