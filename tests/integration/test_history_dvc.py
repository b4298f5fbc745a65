"""`pipeline history`: the loop over time read back from git and DVC, on the fixture dataset.

Three years run; then `pipeline replay` lands two more one at a time on its branch, each
retrained, gated, decided and committed with trailers, a note committed between them. The
page must show each batch with the numbers that commit's own report files hold, and open
offline, its links leading to each commit's reports.
"""

from __future__ import annotations

import json
from pathlib import Path
from urllib.parse import unquote, urlparse

import pytest
from browser import chromium_missing, visit
from helpers import (
    REPLAYED,
    build_replayed,
    build_three_years,
    copy_repo,
    copy_state,
    history_table,
    run,
)

pytestmark = pytest.mark.slow

BATCHES = REPLAYED  # the two years replayed after the three the state ran on
# Where each commit's numbers are (the fixture's paths, as its params.yaml has them).
FILES = {
    "comparison": "reports/compare.json",
    "data": "reports/monitoring/data.json",
    "fairness": "reports/analysis/fairness.json",
    "gate": "reports/monitoring/gate.json",
    "page": "reports/index.html",
}


def history(repo: Path):
    return run(["python", "-m", "pipeline.cli", "history"], repo)


@pytest.fixture(scope="module")
def repo(tmp_path_factory) -> Path:
    """The two batch commits, and `pipeline history` run once on them."""
    repo = copy_state("replayed", build_replayed, tmp_path_factory.mktemp("history") / "repo")
    result = history(repo)
    assert "history: 2 batch(es) of replay" in result.stdout
    assert "wrote reports/history.html" in result.stdout
    return repo


@pytest.fixture(scope="module")
def at_commit(repo, tmp_path_factory) -> dict[str, dict]:
    """Per batch, its commit and the report files as a person finds them after checking that
    commit out (`git checkout`, `dvc checkout`), in a copy of the repository."""
    other = copy_repo(repo, tmp_path_factory.mktemp("checkouts") / "repo")
    log = run(["git", "log", "--format=%H %(trailers:key=Batch,valueonly,separator=)"], other)
    commits = {
        fields[1]: fields[0] for fields in map(str.split, log.stdout.splitlines()) if fields[1:]
    }
    found = {}
    for batch in BATCHES:
        run(["git", "checkout", "-q", commits[batch]], other)
        run(["dvc", "checkout", "--force"], other)
        found[batch] = {name: (other / path).read_text() for name, path in FILES.items()}
        found[batch]["commit"] = commits[batch]
        decision = run(["git", "log", "-1", "--format=%(trailers:key=Decision,valueonly)"], other)
        found[batch]["decision"] = decision.stdout.strip()
    return found


def test_each_batch_commit_is_a_row_with_the_numbers_of_its_own_files(repo, at_commit):
    rows = history_table((repo / "reports/history.html").read_text())
    assert [row["batch"] for row in rows] == BATCHES[::-1]  # newest first; the note is no row
    for row in rows:
        files = at_commit[row["batch"]]
        compared = json.loads(files["comparison"])
        assert compared["status"] == "compared"  # a champion was pinned: decay is measured
        metric = compared["primary"]
        sure = compared["confidence"]["current"]
        fairness = json.loads(files["fairness"])["current"]
        gate = json.loads(files["gate"])
        expected = {
            "decay": compared["champion"]["current"][metric],
            "retrained": compared["challenger"]["current"][metric],
            "difference": compared["difference"]["current"][metric],
            "mcnemar": sure["mcnemar"]["p_value"],
            "drift": json.loads(files["data"])["drift"]["drifted_share"],
            "fairness": max(value for value in fairness.values() if value is not None),
        }
        shown = {name: float(cell["data-value"]) for name, cell in row["values"].items()}
        assert shown == expected
        interval = row["values"]["difference"]
        assert float(interval["data-low"]) == sure["difference"]["low"]
        assert float(interval["data-high"]) == sure["difference"]["high"]
        # What a person reads: three decimals, the interval, the gate's count, the decision.
        text = row["text"]
        assert text[0] == row["batch"] and files["commit"].startswith(text[1])
        assert text[2:4] == [f"{expected['decay']:.3f}", f"{expected['retrained']:.3f}"]
        assert text[4] == (
            f"{expected['difference']:+.3f} "
            f"({sure['difference']['low']:+.3f}..{sure['difference']['high']:+.3f})"
        )
        p_value = expected["mcnemar"]
        assert text[5] == ("<0.001" if p_value < 0.001 else f"{p_value:.3f}")
        assert text[6] == f"{expected['drift']:.3f}"
        failed = sum(not check["passed"] for check in gate["checks"])
        assert text[8] == (
            "passed" if gate["passed"] else f"failed: {failed} of {len(gate['checks'])} checks"
        )
        assert text[9] == {"promote": "promoted", "keep": "kept the champion"}[files["decision"]]


def test_each_row_opens_that_commits_own_reports_page(repo, at_commit):
    for row in history_table((repo / "reports/history.html").read_text()):
        files = at_commit[row["batch"]]
        (link,) = set(row["links"])
        page = repo / "reports" / link
        assert page.read_text() == files["page"]
        # What that page links to is there too, as that commit holds it.
        assert (page.parent / "compare.json").read_text() == files["comparison"]
        assert (page.parent / "monitoring/data_drift.html").stat().st_size > 0


def test_a_rerun_keeps_the_exported_pages_and_drops_those_of_gone_commits(repo):
    exported = sorted((repo / "reports/history").iterdir())
    assert len(exported) == 2
    stamps = {path: (path / "index.html").stat().st_mtime_ns for path in exported}
    (repo / "reports/history/0000000").mkdir()  # a commit no longer on the branch
    history(repo)
    assert sorted((repo / "reports/history").iterdir()) == exported
    assert {path: (path / "index.html").stat().st_mtime_ns for path in exported} == stamps


def test_the_retrain_pull_request_shows_the_last_batches(repo, at_commit):
    body = run(["python", "-m", "pipeline.cli", "retrain-report", "--base", "HEAD~1"], repo)
    section = body.stdout.split("### The last batches")[1].split("###")[0]
    lines = [line for line in section.splitlines() if line.startswith(f"| {BATCHES[0][:2]}")]
    assert [line.split(" | ")[0].strip("| ") for line in lines] == BATCHES[::-1]
    for line, batch in zip(lines, BATCHES[::-1], strict=True):
        compared = json.loads(at_commit[batch]["comparison"])
        decay = compared["champion"]["current"][compared["primary"]]
        assert line.split(" | ")[2] == f"{decay:.3f}"


def test_a_branch_without_batch_commits_gets_a_page_that_says_so(tmp_path):
    repo = copy_state("three-years", build_three_years, tmp_path / "repo")
    result = history(repo)
    assert "no batch commits on main yet" in result.stdout
    page = (repo / "reports/history.html").read_text()
    assert "No batch commits on <b>main</b> yet" in page


@pytest.mark.skipif(chromium_missing() is not None, reason=str(chromium_missing()))
def test_history_page_in_a_real_browser(repo, tmp_path):
    page = repo / "reports" / "history.html"
    newest = history_table(page.read_text())[0]
    seen = visit(
        page,
        tmp_path / "history.png",
        ids=("summary", "charts", "history"),
        click=f'#history tr[data-batch="{newest["batch"]}"] a',
    )
    assert seen.console_errors == []
    assert (tmp_path / "history.png").stat().st_size > 10_000
    assert "2 batches on replay" in seen.texts["summary"]
    assert all(batch in seen.texts["history"] for batch in BATCHES)
    # Every request was for a file on disk: no network, no script or style from elsewhere.
    assert seen.requests and all(url.startswith("file://") for url in seen.requests)
    # Its three charts drew, and each batch's points link to that batch's page, as its row.
    for title in ("roc_auc on each new batch", "Retrained minus champion", "drifted feature"):
        assert title in seen.texts["charts"]
    targets = [Path(unquote(urlparse(link).path)) for link in seen.links]
    rows = {page.parent / row["links"][0] for row in history_table(page.read_text())}
    assert set(targets) == rows
    # A row links twice (batch, commit); a batch has a point before and after retraining,
    # one of their difference and one of its drift share.
    assert len(targets) == len(BATCHES) * (2 + 4)
    # Clicking a batch opens its commit's page, which renders offline too.
    assert unquote(urlparse(seen.followed).path) == str(page.parent / newest["links"][0])
    for target in targets:
        opened = visit(target, ids=("verdict",))
        assert opened.console_errors == [] and "Gate" in opened.texts["verdict"]
        assert all(url.startswith("file://") for url in opened.requests)
