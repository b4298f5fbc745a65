"""`pipeline repro -j N` on the fixture dataset: real `dvc` in real git repositories.

Independent stages run at the same time, and the result is what `dvc repro` leaves: the
same dvc.lock, the cache filled, `dvc status` clean. A failing stage stops what depends on
it and nothing else; a second run stops on the repository's lock; Ctrl-C stops every stage.
"""

from __future__ import annotations

import os
import re
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
import yaml
from helpers import ALL_STAGES, build_trained, built_state, copy_state, make_repo, run, stages_ran

pytestmark = pytest.mark.slow

PIPELINE = [sys.executable, "-m", "pipeline.cli"]


def repro(repo: Path, *args: str, check: bool = True) -> subprocess.CompletedProcess:
    return run([*PIPELINE, "repro", *args], repo, check=check)


def most_at_once(output: str) -> int:
    """The most stages running at the same moment, from the run's own log."""
    running, most = 0, 0
    for line in output.splitlines():
        if re.match(r"Running stage '", line):
            running += 1
            most = max(most, running)
        elif re.match(r"Stage '[^']+' done in|ERROR: failed to reproduce", line):
            running -= 1
    return most


def status(repo: Path) -> str:
    return run(["dvc", "status"], repo).stdout


def start(repo: Path, log: Path, *args: str, env: dict | None = None) -> subprocess.Popen:
    """`pipeline repro ARGS` in the background, its output to `log`."""
    with log.open("w") as out:
        return subprocess.Popen(
            [*PIPELINE, "repro", *args],
            cwd=repo,
            stdout=out,
            stderr=subprocess.STDOUT,
            text=True,
            env=env,
            # Ctrl-C as at a terminal: a runner started in the background (CI, `make test &`)
            # inherits SIGINT ignored, and Python then never raises KeyboardInterrupt.
            preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_DFL),
        )


def wait_for(log: Path, pattern: str, timeout: float = 300) -> None:
    """Wait until a line of `log` matches `pattern` (bounded)."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if re.search(pattern, log.read_text()):
            return
        time.sleep(0.2)
    raise AssertionError(f"no line matched {pattern!r}; output:\n{log.read_text()}")


def held_at_the_gate(stage: str, gate: Path, folder: Path) -> dict:
    """An environment in which `stage`'s command waits until `gate` exists (at most 300 s).

    A `python` first on PATH holds that stage's command and starts every other as it is, so
    the stage's command line, its dependencies and what it writes stay the stage's own: a
    test can act while the stage is certainly running, not race a stage that may already
    have finished."""
    folder.mkdir()
    shim = folder / "python"
    shim.write_text(
        "#!/bin/sh\n"
        f'case "$*" in *"pipeline.stages.{stage}"*)\n'
        f'  for _ in $(seq 3000); do [ -e "{gate}" ] && break; sleep 0.1; done;;\n'
        "esac\n"
        f'exec "{sys.executable}" "$@"\n'
    )
    shim.chmod(0o755)
    return {**os.environ, "PATH": f"{folder}{os.pathsep}{os.environ['PATH']}"}


def processes_in(folder: Path) -> list[str]:
    """The command lines of the processes working in `folder`."""
    found = []
    for proc in Path("/proc").glob("[0-9]*"):
        try:
            if Path(os.readlink(proc / "cwd")) == folder:
                found.append((proc / "cmdline").read_text().replace("\0", " "))
        except OSError:  # gone meanwhile, or not ours to read
            continue
    return found


def test_a_cold_parallel_run_records_what_dvc_repro_records(tmp_path):
    # Its own cache, so every stage really runs: nothing comes from the session's run-cache.
    repo = make_repo(tmp_path / "repo", shared_cache=False)
    done = repro(repo, "-j", "2")
    assert sorted(stages_ran(done.stdout)) == sorted(ALL_STAGES)
    assert most_at_once(done.stdout) == 2  # independent stages overlapped
    # Every stage run again from scratch, in another order, gives the same output hashes
    # byte for byte as `dvc repro` gave the same files.
    sequential = built_state("trained", build_trained)
    assert (repo / "dvc.lock").read_text() == (sequential / "dvc.lock").read_text()
    assert "Data and pipelines are up to date" in status(repo)
    again = run(["dvc", "repro"], repo).stdout
    assert stages_ran(again) == [] and "Running stage" not in again
    # The cache holds every output: a removed model comes back from it.
    model = repo / yaml.safe_load((repo / "params.yaml").read_text())["paths"]["model"]
    model.unlink()
    run(["dvc", "checkout"], repo)
    assert model.exists() and "Data and pipelines are up to date" in status(repo)


def test_nothing_changed_runs_nothing(tmp_path):
    repo = copy_state("trained", build_trained, tmp_path / "repo")
    done = repro(repo)
    assert stages_ran(done.stdout) == []
    unchanged = re.findall(r"Stage '([^']+)' didn't change, skipping", done.stdout)
    assert sorted(unchanged) == sorted(ALL_STAGES)


def test_a_failing_stage_stops_what_depends_on_it_and_the_other_branch_is_recorded(tmp_path):
    repo = copy_state("trained", build_trained, tmp_path / "repo")
    lock_before = yaml.safe_load((repo / "dvc.lock").read_text())["stages"]
    # One branch: a drift setting only the data report (and the page) read.
    params = repo / "params.yaml"
    params.write_text(params.read_text().replace("drift_threshold: 0.1", "drift_threshold: 0.2"))
    # The other: the model report's command fails, saying why.
    dvc_yaml = repo / "dvc.yaml"
    broken = dvc_yaml.read_text().replace(
        "cmd: PYTHONHASHSEED=0 python -m pipeline.stages.model_report",
        "cmd: python -c \"raise SystemExit('model_report broke, no model')\"",
    )
    assert broken != dvc_yaml.read_text()
    dvc_yaml.write_text(broken)

    done = repro(repo, "-j", "2", check=False)
    assert done.returncode == 1
    assert "failed to reproduce 'model_report': model_report broke, no model" in done.stderr
    assert "not run, as they depend on it: report_index" in done.stderr
    lock = yaml.safe_load((repo / "dvc.lock").read_text())["stages"]
    assert lock["data_report"]["params"]["params.yaml"]["report.drift_threshold"] == 0.2
    assert lock["model_report"] == lock_before["model_report"]
    assert lock["report_index"] == lock_before["report_index"]
    left = status(repo)
    assert "data_report:" not in left and "model_report:" in left and "report_index:" in left

    # The failed stage's last good outputs are still in the cache.
    run(["git", "checkout", "dvc.yaml"], repo)
    run(["dvc", "checkout", "--force", "model_report"], repo)
    assert "model_report:" not in status(repo)


def test_a_second_run_stops_on_the_lock_and_the_first_finishes(tmp_path):
    repo = copy_state("trained", build_trained, tmp_path / "repo")
    log, gate = tmp_path / "first.log", tmp_path / "go"
    # validate waits at the gate, so the first run holds the lock through both attempts.
    env = held_at_the_gate("validate", gate, tmp_path / "bin")
    first = start(repo, log, "-f", "validate", env=env)
    try:
        wait_for(log, r"Running stage 'validate'")
        second = repro(repo, check=False)
        assert second.returncode == 1
        assert "holds this repository's lock" in second.stderr
        plain = run(["dvc", "repro"], repo, check=False)
        assert plain.returncode != 0 and "lock" in plain.stderr.lower()
        gate.touch()
        first.wait(timeout=600)
    finally:
        first.kill()
    assert first.returncode == 0, log.read_text()
    assert "Data and pipelines are up to date" in status(repo)


def test_ctrl_c_stops_every_running_stage_and_records_none_of_them(tmp_path):
    repo = copy_state("trained", build_trained, tmp_path / "repo")
    lock_before = (repo / "dvc.lock").read_text()
    log = tmp_path / "first.log"
    # validate waits at a gate that never opens: Ctrl-C certainly finds it running.
    env = held_at_the_gate("validate", tmp_path / "never", tmp_path / "bin")
    first = start(repo, log, "-f", "-j", "2", env=env)
    try:
        wait_for(log, r"Running stage 'validate'")
        first.send_signal(signal.SIGINT)
        first.wait(timeout=60)
    finally:
        first.kill()
    assert first.returncode == 130, log.read_text()
    assert "interrupted: stopped validate" in log.read_text()
    assert processes_in(repo) == []
    lock = (repo / "dvc.lock").read_text()
    # Stages that finished before Ctrl-C are recorded as they were; none half-done is.
    assert yaml.safe_load(lock)["stages"].keys() == yaml.safe_load(lock_before)["stages"].keys()
    assert "validate:" in status(repo)


@pytest.mark.parametrize("jobs", ["0", "-1"])
def test_jobs_below_one_is_refused(tmp_path, jobs):
    repo = copy_state("trained", build_trained, tmp_path / "repo")
    refused = repro(repo, "-j", jobs, check=False)
    assert refused.returncode == 2 and "at least 1" in refused.stderr


def test_a_dvc_yaml_dvc_cannot_read_is_a_message_not_a_traceback(tmp_path):
    run(["git", "init", "-q"], tmp_path)
    run(["dvc", "init", "-q"], tmp_path)
    (tmp_path / "dvc.yaml").write_text("stages:\n  broken:\n    cmd: echo 'a: b'\n   deps: [\n")
    refused = repro(tmp_path, check=False)
    assert refused.returncode == 1
    assert refused.stderr.startswith("repro: dvc: unable to read: 'dvc.yaml'")
    assert "Traceback" not in refused.stderr
