"""Starting a project from the template with copier, and taking a later release with
`copier update`: real copier runs on a git copy of the working tree."""

from __future__ import annotations

import os
import shutil
import sys
from pathlib import Path

import pytest
import yaml
from helpers import FIXTURE_FILES, ROOT, commit, make_repo, run

pytestmark = [pytest.mark.slow, pytest.mark.release]

ANSWERS = ["-d", "project_name=Churn radar", "-d", "description=Predicts who cancels."]


def copier(*args: str, cwd: Path) -> None:
    run([sys.executable, "-m", "copier", *args, "--trust", "--defaults"], cwd)


@pytest.fixture(scope="module")
def template(tmp_path_factory) -> Path:
    """The template as a git repository (the working tree's files), released as v0.1.0."""
    template = make_repo(tmp_path_factory.mktemp("template") / "template", example=True)
    run(["git", "tag", "v0.1.0"], template)
    return template


@pytest.fixture(scope="module")
def project(template, tmp_path_factory) -> Path:
    project = tmp_path_factory.mktemp("made") / "churn-radar"
    copier("copy", "--vcs-ref", "v0.1.0", *ANSWERS, str(template), str(project), cwd=project.parent)
    return project


def test_a_new_project_has_its_name_and_model_and_one_commit(project):
    assert (project / "README.md").read_text().startswith("# Churn radar\n\nPredicts who cancels.")
    assert 'description = "Predicts who cancels."' in (project / "pyproject.toml").read_text()
    params = yaml.safe_load((project / "params.yaml").read_text())
    assert params["dataset"]["artifact"]["name"] == "churn-radar-model"
    answers = yaml.safe_load((project / ".copier-answers.yml").read_text())
    assert answers["_commit"] == "v0.1.0" and answers["start_from"] == "example"
    assert not (project / "copier.yml").exists()
    assert run(["git", "status", "--porcelain"], project).stdout == ""
    assert len(run(["git", "log", "--oneline"], project).stdout.splitlines()) == 1


def test_the_new_project_passes_its_fast_tests(project):
    uv = shutil.which("uv") or str(ROOT / ".tools" / "bin" / "uv")
    path = os.pathsep.join([str(Path(uv).parent), "/usr/local/bin", "/usr/bin", "/bin"])
    # As on a developer's machine, Python keeps the bytecode it compiles: the project's setup
    # compiles nothing ahead (the suite's own setup takes the PYTHONDONTWRITEBYTECODE path).
    env = {"PATH": path, "PYTHONDONTWRITEBYTECODE": None}
    result = run(["make", "test-fast"], project, check=False, env=env, timeout=1800)
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-3000:]
    assert " passed" in result.stdout and " failed" not in result.stdout


def test_a_later_release_merges_into_a_project_made_from_an_earlier_one(template, tmp_path):
    project = tmp_path / "made"
    copier("copy", "--vcs-ref", "v0.1.0", *ANSWERS, str(template), str(project), cwd=tmp_path)
    # The user tunes their model...
    hist_gbm = project / "conf" / "model" / "hist_gbm.yaml"
    hist_gbm.write_text(
        hist_gbm.read_text().replace("learning_rate: 0.1\n", "learning_rate: 0.05\n")
    )
    commit(project, "slower learning")
    # ...while the template gains a doc line and a new default elsewhere.
    release = tmp_path / "template-v0.2.0"
    run(["git", "clone", "-q", str(template), str(release)], tmp_path)
    docs = release / "docs" / "pipeline.md"
    docs.write_text(docs.read_text() + "\nA line the template added in v0.2.0.\n")
    forest = release / "conf" / "model" / "random_forest.yaml"
    forest.write_text(forest.read_text().replace("n_estimators: 200\n", "n_estimators: 250\n"))
    commit(release, "v0.2.0")
    run(["git", "tag", "v0.2.0"], release)
    answers = project / ".copier-answers.yml"
    answers.write_text(answers.read_text().replace(str(template), str(release)))
    commit(project, "take releases from the v0.2.0 clone")

    copier("update", "--vcs-ref", "v0.2.0", cwd=project)

    changed = {
        line[3:] for line in run(["git", "status", "--porcelain"], project).stdout.splitlines()
    }
    assert changed == {".copier-answers.yml", "docs/pipeline.md", "conf/model/random_forest.yaml"}
    assert docs.read_text().splitlines()[-1] in (project / "docs/pipeline.md").read_text()
    assert "n_estimators: 250" in (project / "conf/model/random_forest.yaml").read_text()
    assert "learning_rate: 0.05" in hist_gbm.read_text()  # the user's change stays
    assert yaml.safe_load(answers.read_text())["_commit"] == "v0.2.0"
    leftovers = [p for p in project.rglob("*") if p.suffix == ".rej" or p.name.endswith(".orig")]
    assert leftovers == []


def test_a_file_init_refuses_leaves_the_project_and_says_how_to_adopt_it(template, tmp_path):
    project = tmp_path / "shop"
    uv = shutil.which("uv") or str(ROOT / ".tools" / "bin" / "uv")
    path = {"PATH": os.pathsep.join([str(Path(uv).parent), "/usr/local/bin", "/usr/bin", "/bin"])}
    path["PYTHONDONTWRITEBYTECODE"] = None  # a developer's machine, as in the test above
    # A misspelled target: init refuses the file once the project's environment is built.
    own = ["-d", "start_from=own", "-d", f"own_file={FIXTURE_FILES}", "-d", "own_target=churn"]
    copy = [sys.executable, "-m", "copier", "copy", "--trust", "--defaults", "--vcs-ref", "v0.1.0"]
    made = run(
        [*copy, *ANSWERS, *own, "-d", "own_batch_column=year", str(template), str(project)],
        tmp_path,
        env=path,
        timeout=1800,
    )

    # The project stays: made from the template, the example selected, all in one commit.
    assert "init: --target churn: no such column" in made.stderr
    assert "copier: your file was not adopted" in made.stderr
    assert "with dataset 'flights' selected" in made.stderr
    assert "- dataset: flights" in (project / "conf" / "config.yaml").read_text()
    assert run(["git", "status", "--porcelain"], project).stdout == ""
    assert len(run(["git", "log", "--oneline"], project).stdout.splitlines()) == 1
    # The commands it prints adopt the file once the target is fixed.
    printed = made.stderr.split("then run in the project:\n")[1].splitlines()
    init, adopt, commit_all = (line.split("  # ")[0].strip() for line in printed[:3])
    assert init.startswith("make init FILE=") and " TARGET=churn " in f"{init} "
    assert adopt.startswith("python3 scripts/adopt.py --name Churn\\ radar")
    identity = {f"GIT_{who}_NAME": "Me" for who in ("AUTHOR", "COMMITTER")} | {
        f"GIT_{who}_EMAIL": "me@example.com" for who in ("AUTHOR", "COMMITTER")
    }
    for command in (init.replace("TARGET=churn", "TARGET=churned"), adopt, commit_all):
        run(["bash", "-c", command], project, env=path | identity, timeout=900)

    config = (project / "conf" / "config.yaml").read_text()
    assert "- dataset: customers" in config and "- source: files" in config
    dataset = yaml.safe_load((project / "conf" / "dataset" / "customers.yaml").read_text())
    assert dataset["artifact"]["name"] == "churn-radar-model"
    assert sorted(p.name for p in (project / "data" / "landing" / "customers").iterdir()) == [
        f"{year}.parquet" for year in range(2019, 2025)
    ]
    assert run(["git", "status", "--porcelain"], project).stdout == ""
    checked = run([str(project / ".venv" / "bin" / "pipeline"), "params", "--check"], project)
    assert "params.yaml is in sync with conf/" in checked.stdout
