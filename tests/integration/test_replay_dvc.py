"""`pipeline replay`: held-back batches landed one at a time, each retrained, compared, gated,
decided and committed, on the fixture dataset in a real repository."""

from __future__ import annotations

import json

import pytest
from helpers import (
    BREAKS_ITS_CONTRACT,
    REPLAYED,
    build_replayed,
    build_three_years,
    built_state,
    copy_repo,
    replay,
    run,
)

pytestmark = pytest.mark.slow
BATCH_COMMITS = "--grep=^Batch: "  # git log: only the commits replay made, not the note


def trailers(repo, key: str, *revisions: str) -> list[str]:
    """The values of trailer `key` in `git log REVISIONS`, oldest first."""
    shown = run(
        ["git", "log", BATCH_COMMITS, f"--format=%(trailers:key={key},valueonly)", *revisions],
        repo,
    )
    return [line.strip() for line in shown.stdout.splitlines() if line.strip()][::-1]


@pytest.fixture(scope="module")
def replayed(tmp_path_factory):
    """Three years run, the next two replayed one at a time with a note committed between
    them, from a folder that also holds the last year with a region its contract does not
    allow; and what replay said each time."""
    state = built_state("replayed", build_replayed)
    repo = copy_repo(state, tmp_path_factory.mktemp("replay") / "repo")
    started = run(["git", "rev-parse", "HEAD"], built_state("three-years", build_three_years))
    said = [(state.parent / f"replay-{n}.out").read_text() for n in (1, 2)]
    return repo, started.stdout.strip(), said


def test_each_batch_is_one_commit_stating_its_verdict_and_decision(replayed):
    repo, started, said = replayed
    since = f"{started}..HEAD"
    log = run(["git", "log", "--format=%s", since], repo).stdout.splitlines()[::-1]
    assert log[1] == "notes: a commit between batches"  # the one commit replay did not make
    batch_commits = log[::2]
    assert len(batch_commits) == len(REPLAYED)
    assert trailers(repo, "Batch", since) == REPLAYED
    decisions = trailers(repo, "Decision", since)
    gates = trailers(repo, "Gate", since)
    assert set(decisions) <= {"promote", "keep"} and set(gates) <= {"passed", "failed"}
    for subject, batch, gate, decision, output in zip(
        batch_commits, REPLAYED, gates, decisions, said, strict=True
    ):
        done = "promoted" if decision == "promote" else "kept the champion"
        assert subject == f"replay {batch}: gate {gate}, {done}"
        assert f"{batch}: gate {gate}, {done}" in output  # the terminal said it too
    assert said[0].startswith("replay: on branch replay (new, from HEAD)\n")
    assert said[1].startswith("replay: on branch replay\n")
    assert run(["git", "branch", "--show-current"], repo).stdout.strip() == "replay"
    assert run(["git", "status", "--porcelain", "--untracked-files=no"], repo).stdout == ""
    assert "Data and pipelines are up to date" in run(["dvc", "status"], repo).stdout


def test_each_commit_holds_the_reports_it_was_decided_on(replayed):
    """The decision in the message is the one the committed gate verdict gives, and the
    comparison was made against the model serving when the batch landed."""
    repo, _, _ = replayed
    from pipeline.lifecycle.promotion import decide

    gate = json.loads((repo / "reports/monitoring/gate.json").read_text())
    assert trailers(repo, "Decision", "-1") == [decide(gate).action]
    compared = json.loads((repo / "reports/compare.json").read_text())
    assert compared["status"] == "compared"
    assert set(compared["confidence"]["current"]["difference"]) == {"estimate", "low", "high"}
    pin = json.loads((repo / "models/champion/champion.json").read_text())
    # The champion served when the batch landed: the model of the newest commit before it
    # that replay promoted or that is no batch at all (here the note).
    value = "valueonly,separator=,key="
    fields = f"%H %(trailers:{value}Batch) %(trailers:{value}Decision)"
    before = run(["git", "log", "--skip=1", f"--format={fields}"], repo).stdout.splitlines()
    expected = next(
        line.split()[0] for line in before if len(line.split()) == 1 or line.endswith(" promote")
    )
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
    stopped = replay(repo, "--to", BREAKS_ITS_CONTRACT, check=False)
    assert stopped.returncode == 1
    assert f"batch {BREAKS_ITS_CONTRACT}:" in stopped.stderr and "region" in stopped.stderr
    assert "atlantis" in stopped.stderr
    assert f"the branch stays at {head[:7]}" in stopped.stderr
    assert run(["git", "rev-parse", "HEAD"], repo).stdout.strip() == head
    assert run(["git", "status", "--porcelain", "--untracked-files=no"], repo).stdout == ""
    assert not list((repo / "data/landing/customers").glob(f"{BREAKS_ITS_CONTRACT}.*"))
