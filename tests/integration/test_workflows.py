"""The GitHub workflows, linted, audited and run for real on this machine with `act`.

`act -P ubuntu-latest=-self-hosted` runs each step here, without Docker. Steps that need
GitHub itself (its API, the artifact store, cloud OIDC) are skipped under act by
`if: env.ACT != 'true'`; everything else runs as it would on GitHub.
"""

from __future__ import annotations

import os
import re
import subprocess
from pathlib import Path

import pytest
import yaml
from helpers import (
    FIXTURE_BATCHES,
    GIT,
    ROOT,
    build_three_years,
    commit,
    copy_state,
    land_fixture,
    make_repo,
    run,
)
from s3 import CREDENTIALS, s3_server, use_s3_remote

WORKFLOWS = sorted((ROOT / ".github" / "workflows").glob("*.yml"))
EXACT_PIN = re.compile(r"^[\w.-]+/[\w.-]+@(v\d+\.\d+\.\d+|[0-9a-f]{40})$")
# The workflows run on the framework's fixture dataset: three years landed, the next arrives.
LANDED = 3
ARRIVING = FIXTURE_BATCHES[LANDED]  # 2022


def load(workflow: Path) -> dict:
    # YAML 1.1 reads the key `on` as True.
    return yaml.safe_load(workflow.read_text())


def test_actionlint_finds_nothing():
    result = subprocess.run(["actionlint"], cwd=ROOT, capture_output=True, text=True)
    assert result.returncode == 0, result.stdout + result.stderr


def test_zizmor_audit_finds_nothing():
    result = subprocess.run(
        ["zizmor", "--offline", "--config", ".github/zizmor.yml", ".github/workflows"],
        cwd=ROOT,
        capture_output=True,
        text=True,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert "No findings" in result.stdout + result.stderr


@pytest.mark.parametrize("workflow", WORKFLOWS, ids=lambda path: path.name)
def test_least_privilege_and_exact_pins(workflow):
    spec = load(workflow)
    assert spec["permissions"] == {}, "the workflow grants nothing; each job asks for its own"
    for name, job in spec["jobs"].items():
        assert "permissions" in job, f"job {name} must declare its permissions"
        for step in job["steps"]:
            if "uses" in step:
                assert EXACT_PIN.match(step["uses"]), f"{step['uses']}: pin an exact release"
    text = workflow.read_text()
    assert "AWS_SECRET_ACCESS_KEY" not in text and "aws-secret-access-key" not in text


def test_retrain_triggers_on_data_config_and_code_and_runs_one_at_a_time():
    spec = load(ROOT / ".github/workflows/retrain.yml")
    triggers = spec[True]
    assert set(triggers) == {"push", "workflow_dispatch", "schedule"}
    assert set(triggers["push"]["paths"]) == {
        "data/**.dvc",
        "conf/**",
        "params.yaml",
        "dvc.yaml",
        "src/**",
    }
    assert spec["concurrency"]["cancel-in-progress"] is False
    assert "${{ github.ref }}" in spec["concurrency"]["group"]


STAND_IN = "stand-in action ran"


def stand_ins(workflow: str, folder: Path) -> list[str]:
    """act fetches every `uses:` action before the job starts, even one whose step is skipped,
    and GitHub is out of reach here. Each action other than checkout (which act copies
    locally) gets a local stand-in. Those steps are skipped under act, so a stand-in never
    runs: the retrain test checks that its text never appears."""
    flags = []
    for job in load(ROOT / ".github/workflows" / workflow)["jobs"].values():
        for step in job["steps"]:
            action = step.get("uses", "")
            if not action or action.startswith("actions/checkout@"):
                continue
            stub = folder / action.replace("/", "_").replace("@", "_")
            stub.mkdir(parents=True, exist_ok=True)
            (stub / "action.yml").write_text(
                "name: stand-in\ndescription: never runs under act\nruns:\n  using: composite\n"
                f"  steps:\n    - run: echo '{STAND_IN}'\n      shell: bash\n"
            )
            flags.append(f"--local-repository={action}={stub}")
    return flags


def act(repo: Path, workflow: str, *extra: str, timeout: int = 1800):
    """Run one workflow with act on this machine; output is returned, never raised on."""
    command = ["act", "push", "-W", f".github/workflows/{workflow}"]
    command += ["-P", "ubuntu-latest=-self-hosted", *stand_ins(workflow, repo.parent / "actions")]
    # act's workspaces (each with its own .venv) go to the test's temp dir, not ~/.cache/act.
    command += [f"--action-cache-path={repo.parent / 'act-cache'}", *extra]
    # GitHub's runners leave PYTHONDONTWRITEBYTECODE unset, so a job's setup compiles nothing.
    env = {k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"}
    env["PATH"] = f"{Path(os.sys.executable).parent}{os.pathsep}{os.environ['PATH']}"
    return subprocess.run(
        command, cwd=repo, capture_output=True, text=True, timeout=timeout, env=env
    )


def ci_job(tmp_path: Path, job: str) -> str:
    """Run one job of ci.yml under act in a fresh repository; its output, once it succeeded."""
    repo = make_repo(tmp_path / "repo", landed=LANDED)
    result = act(repo, "ci.yml", "-j", job)
    output = result.stdout + result.stderr
    assert result.returncode == 0, output[-4000:]
    assert "Job succeeded" in output
    return output


@pytest.mark.slow
@pytest.mark.release
def test_ci_lint_job_runs_under_act(tmp_path):
    output = ci_job(tmp_path, "lint")
    assert "actionlint" in output and "zizmor" in output and "hadolint" in output


@pytest.mark.slow
@pytest.mark.release
def test_ci_image_job_is_skipped_under_act_and_says_why(tmp_path):
    output = ci_job(tmp_path, "image")
    assert "skipped under act, which runs jobs on this machine without a Docker engine" in output
    ran = re.findall(r"⭐ Run Main (.+)", output)
    assert ran == ["Skipped under act"], ran  # nothing that needs Docker was attempted


@pytest.mark.slow
@pytest.mark.release
def test_retrain_workflow_after_new_data_reruns_pushes_and_writes_the_pr_report(tmp_path):
    repo = copy_state("three-years", build_three_years, tmp_path / "repo")  # the first run
    origin = tmp_path / "origin.git"
    run(["git", "clone", "-q", "--bare", str(repo), str(origin)], tmp_path)
    run(["git", "remote", "add", "origin", str(origin)], repo)
    run(["git", "fetch", "-q", "origin"], repo)
    env = os.environ | CREDENTIALS
    with s3_server() as s3:
        use_s3_remote(run, repo, s3, prefix="store")
        run(["dvc", "push"], repo, env=env)
        # New data arrives: the next year lands, is versioned and pushed; only the pointer is
        # committed.
        land_fixture(repo, [ARRIVING])
        run(["dvc", "push"], repo, env=env)
        commit(repo, f"{ARRIVING} arrived")
        run([*GIT, "push", "-q", "origin", "main"], repo)
        before = set(s3.keys())

        credentials = [f"--env={key}={value}" for key, value in CREDENTIALS.items()]
        result = act(
            repo,
            "retrain.yml",
            f"--var=DVC_REMOTE_URL={s3.url('store')}",
            f"--var=DVC_REMOTE_ENDPOINT={s3.endpoint}",
            *credentials,
        )
        output = result.stdout + result.stderr
        assert result.returncode == 0, output[-6000:]
        after = set(s3.keys())

    # The pipeline reran on the new batch, from ingest on.
    assert "Running stage 'ingest'" in output
    assert "Running stage 'report_index'" in output
    # The gate ran and said what it found; the report for the pull request was printed.
    assert re.search(r"check: (FAIL|pass)", output)
    assert "<!-- retrain-report -->" in output
    assert f"Retrained on {ARRIVING}" in output
    # The decision replay would commit, stated for the person who merges.
    assert re.search(r"\*\*Decision: (promote the new model|keep the champion)\.\*\* ", output)
    assert "### Metrics against origin/main" in output
    # The history's last batches: none yet, as main has no batch commit (replay makes them).
    assert "### The last batches" in output and "no batch commits on this branch yet" in output
    assert "roc_auc" in output
    # First, the retrained model against main's, both scored on this run's rows.
    compared = "Champion the model of origin/main ("
    assert compared in output
    assert output.index(compared) < output.index("### Metrics against origin/main")
    row = r"\| newest batch \| roc_auc \| 0\.\d{3} \| 0\.\d{3} \| [+-]0\.\d{3} \|"
    assert re.search(row, output)
    # The retrained model and reports landed in the remote.
    assert len(after - before) >= 5
    # The new dvc.lock went to its own branch, not to main.
    branches = run(["git", "branch", "--list"], origin).stdout
    assert "retrain/main" in branches
    main_lock = yaml.safe_load(run(["git", "show", "main:dvc.lock"], origin).stdout)
    retrain_lock = yaml.safe_load(run(["git", "show", "retrain/main:dvc.lock"], origin).stdout)
    landed = yaml.safe_load(run(["git", "show", "main:data/landing.dvc"], origin).stdout)

    def landing_hash(lock: dict) -> str:
        deps = lock["stages"]["ingest"]["deps"]
        return next(dep["md5"] for dep in deps if dep["path"] == "data/landing")

    # The branch pins the champion it was compared with: main's model.
    pin = yaml.safe_load(run(["git", "show", "retrain/main:models/champion.dvc"], origin).stdout)
    assert pin["outs"][0]["nfiles"] == 2  # the model and champion.json
    # main's lock still records the data before the arrival; the retrain branch's the new one.
    assert landing_hash(retrain_lock) == landed["outs"][0]["md5"]
    assert landing_hash(main_lock) != landed["outs"][0]["md5"]
    # The steps that need GitHub itself were skipped under act.
    assert STAND_IN not in output
    assert "Open or update the pull request" not in output.split("Push the retrain branch")[-1]
