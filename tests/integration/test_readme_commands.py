"""The README's quick start and everyday commands, as written, in a fresh shell.

The shell's PATH holds only the system's directories: no .venv. The clone shares this
checkout's environment (its .venv and .tools), as if its own `make run` had built them, so
the test runs the commands, not a second install. On the fixture dataset, to stay fast; the
slow commands (`make test`, sweeps, serving) are covered by their own tests.
"""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest
from helpers import ROOT, make_repo

pytestmark = pytest.mark.slow

SYSTEM_PATH = "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"
ACTIVATE = "source .venv/bin/activate && "  # what the README says to do once per shell


@pytest.fixture(scope="module")
def repo(tmp_path_factory) -> Path:
    # A user's clone has a cache of its own: `make run` runs every stage.
    repo = make_repo(tmp_path_factory.mktemp("readme") / "repo", shared_cache=False)
    for shared in (".venv", ".tools"):
        if (ROOT / shared).exists():
            (repo / shared).symlink_to(ROOT / shared)
    # The user's own git identity, which `dvc exp run` needs to record an experiment.
    (repo.parent / ".gitconfig").write_text("[user]\n\tname = User\n\temail = user@example.com\n")
    return repo


def shell(repo: Path, command: str) -> subprocess.CompletedProcess:
    fresh = {"HOME": str(repo.parent), "PATH": SYSTEM_PATH, "LANG": "C.UTF-8"}
    return subprocess.run(
        ["bash", "-c", command], cwd=repo, env=fresh, capture_output=True, text=True, timeout=900
    )


def test_the_fresh_shell_has_no_project_tools(repo):
    assert shell(repo, "command -v pipeline").returncode != 0
    found = shell(repo, ACTIVATE + "command -v pipeline")
    assert found.returncode == 0 and found.stdout.strip().endswith("/.venv/bin/pipeline")


def test_make_run_then_the_everyday_make_targets(repo):
    run = shell(repo, "make run")
    assert run.returncode == 0, run.stdout + run.stderr
    assert "Pipeline summary" in run.stdout
    # The fixture's newest year drifts: the gate fails, and make exits with the command's 1.
    check = shell(repo, "make check")
    assert check.returncode == 1, check.stdout + check.stderr
    assert "check: FAIL" in check.stdout and "Error" not in check.stderr
    for target in ("exp-show", "params-check", "dvc-check", "help"):
        result = shell(repo, f"make {target}")
        assert result.returncode == 0, f"make {target}: {result.stdout}{result.stderr}"


def test_make_exits_with_the_code_of_the_command_it_wraps(repo):
    # 2: the gate cannot tell, a summary is missing.
    summary = repo / "reports/monitoring/model.json"
    saved = summary.read_bytes()
    summary.unlink()
    try:
        cannot = shell(repo, "make check")
    finally:
        summary.write_bytes(saved)
    assert cannot.returncode == 2 and "model.json is missing" in cannot.stderr
    # 0: nothing is queued, so nothing failed.
    waited = shell(repo, "make queue-wait")
    assert waited.returncode == 0, waited.stdout + waited.stderr
    # 1: a batch that has landed already is refused.
    again = shell(repo, "make land FILE=data/landing/customers/2024.csv")
    assert again.returncode == 1, again.stdout + again.stderr
    assert "batch 2024 has landed already" in again.stderr
    # With other targets make runs as it always does: any failure is its 2.
    along = shell(repo, "make help check")
    assert along.returncode == 2 and "check: FAIL" in along.stdout
    assert list((repo / ".dvc" / "tmp").glob("make-status-*")) == []  # nothing left behind


def test_the_readme_commands_after_activation(repo):
    assert shell(repo, "make run").returncode == 0  # up to date: nothing reruns
    check = shell(repo, ACTIVATE + "pipeline check")
    assert check.returncode in (0, 1) and "check: " in check.stdout
    status = shell(repo, ACTIVATE + "dvc status")
    assert status.returncode == 0 and "up to date" in status.stdout
    experiment = shell(repo, ACTIVATE + "dvc exp run -S model.learning_rate=0.05")
    assert experiment.returncode == 0, experiment.stdout + experiment.stderr
    shown = shell(repo, ACTIVATE + "pipeline exp-show")
    lines = shown.stdout.splitlines()
    assert shown.returncode == 0 and lines[0].split()[:2] == ["experiment", "holdout.roc_auc"]
    assert len(lines) == 3  # header, rule, the experiment just run
    assert shell(repo, ACTIVATE + "pipeline --help").returncode == 0
