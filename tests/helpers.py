"""Helpers shared by the tests (importable as `helpers`)."""

from __future__ import annotations

import atexit
import os
import re
import shutil
import subprocess
import sys
import tempfile
from collections.abc import Callable
from html.parser import HTMLParser
from pathlib import Path

import pandas as pd
import yaml
from filelock import FileLock
from omegaconf import DictConfig

from pipeline.config import set_default

ROOT = Path(__file__).resolve().parents[1]
# The framework's fixture dataset (config alone, one table): tests/data/shop/generate.py.
FIXTURE_CONF = ROOT / "tests" / "data" / "conf"
FIXTURE_FILES = ROOT / "tests" / "data" / "shop" / "customers"
FIXTURE_BATCHES = sorted(path.stem for path in FIXTURE_FILES.glob("*.csv"))
# Selects the fixture instead of the built-in example.
FIXTURE = ("dataset=shop", "source=files")
# Every stage of dvc.yaml, in the order a cold `dvc repro` runs them.
ALL_STAGES = [
    "ingest",
    "validate",
    "featurize",
    "split",
    "train",
    "evaluate",
    "analyze",
    "compare",
    "card",
    "data_report",
    "model_report",
    "report_index",
]
GIT = ["git", "-c", "user.name=test", "-c", "user.email=test@example.com"]


_scratch: list[Path] = []


def scratch_dir() -> Path:
    """A folder of this test process's own, removed when the process ends."""
    if not _scratch:
        _scratch.append(Path(tempfile.mkdtemp(prefix="pipeline-tests-")))
        atexit.register(shutil.rmtree, _scratch[0], ignore_errors=True)
    return _scratch[0]


_fixture_conf: list[Path] = []


def fixture_conf_dir() -> Path:
    """conf/ with the fixture dataset's config added: a copy made once per test process."""
    if not _fixture_conf:
        conf = scratch_dir() / "conf"
        shutil.copytree(ROOT / "conf", conf, ignore=shutil.ignore_patterns("local"))
        shutil.copytree(FIXTURE_CONF, conf, dirs_exist_ok=True)
        _fixture_conf.append(conf)
    return _fixture_conf[0]


def compose(*overrides: str, example: bool = False) -> DictConfig:
    """Compose conf/ the way `make params` and `dvc exp run` do, and return it as loaded.

    The fixture dataset unless `example`: the framework's tests never need the example.
    """
    from pipeline.config import compose_params, load_params

    out = scratch_dir() / "params.yaml"
    cwd = Path.cwd()
    os.chdir(ROOT)
    try:
        if example:
            compose_params(list(overrides), out)
            return load_params(out)
        conf = fixture_conf_dir()
        compose_params([*FIXTURE, *overrides], out, conf)
        params = load_params(out)
    finally:
        os.chdir(cwd)
    # Outside a repository: the fixture's contract file is in the copy of conf/ it came from.
    rules = Path(params.dataset.contract_file)
    if rules.parts[0] == "conf":
        params.dataset.contract_file = str(conf.joinpath(*rules.parts[1:]))
    return params


def run(cmd: list[str], cwd: Path, check: bool = True, timeout: int = 900, env: dict | None = None):
    """Run a command with this environment's tools first on PATH; return the finished process.

    `env` adds variables to the environment of this one command; a None value removes one.
    """
    path = f"{Path(sys.executable).parent}{os.pathsep}{os.environ['PATH']}"
    env = {k: v for k, v in (os.environ | {"PATH": path} | (env or {})).items() if v is not None}
    result = subprocess.run(cmd, cwd=cwd, env=env, capture_output=True, text=True, timeout=timeout)
    if check and result.returncode != 0:
        raise AssertionError(f"{' '.join(cmd)} failed:\n{result.stdout}\n{result.stderr}")
    return result


def write_back_from_head(repo: Path, *paths: str) -> None:
    """Write tracked files (all of them, or `paths`) back from HEAD and unstage them.

    Unlike `git checkout HEAD -- .`, whatever their stat data says: git skips a file whose
    size and times match its index entry, and a same-size edit of params.yaml made in the
    same second (max_iter 40 -> 41, min_group_rows 90 -> 80) survived it and trained the
    next test's model. `tar -m` gives the files a fresh mtime, so DVC rehashes them.
    """
    archive = subprocess.run(
        ["git", "archive", "HEAD", *paths], cwd=repo, capture_output=True, check=True
    ).stdout
    subprocess.run(["tar", "-x", "-m"], input=archive, cwd=repo, check=True)
    run(["git", "reset", "-q", "HEAD", "--", *paths], repo)


def restore_from_head(repo: Path, *paths: str) -> None:
    """Write tracked files (all, or `paths`) back from HEAD, then the outputs their dvc.lock
    names: the committed state, as a user restores it."""
    write_back_from_head(repo, *paths)
    run(["dvc", "checkout", "--force"], repo)


SMALL_MODELS = {
    "model/hist_gbm.yaml": {"max_iter": 40},
    "model/random_forest.yaml": {"n_estimators": 20, "max_depth": 8},
}
# The fixture has 400 rows a batch: slices of 30 rows are worth reporting there.
FIXTURE_EDITS = {**SMALL_MODELS, "evaluate/default.yaml": {"min_slice_rows": 30}}


# Whether the running test is marked slow (set by conftest before its fixtures run). `make
# test-fast` deselects slow tests: a test that builds a repository without the mark made the
# fast suite, and a project's nested one, run whole pipelines.
_running_slow: list[bool] = [True]


def note_running_test(*, slow: bool) -> None:
    _running_slow[:] = [slow]


def _only_in_slow_tests(what: str) -> None:
    if not _running_slow[0]:
        raise AssertionError(f"{what} builds a dvc repository: mark the test slow")


def make_repo(
    dest: Path,
    conf_edits: dict[str, dict] | None = None,
    choices: dict[str, str] | None = None,
    *,
    example: bool = False,
    landed: int | None = None,
    shared_cache: bool = True,
) -> Path:
    """A fresh git repository holding the working tree's files (what a clone would get).

    The fixture dataset with the files source, its first `landed` batches (default: all)
    landed and `dvc add`-ed, unless `example`. `conf_edits` maps a file under conf/ to keys
    to overwrite (to shrink a run); `choices` picks group options in conf/config.yaml
    ({"source": "sql"}). The params are then recomposed and everything is committed. The
    session's DVC cache unless not `shared_cache` (the repository keeps its own, as a clone).
    """
    _only_in_slow_tests("make_repo")
    listed = run(["git", "ls-files", "-co", "--exclude-standard"], ROOT).stdout.splitlines()
    for name in listed:
        source = ROOT / name
        if source.is_file():
            (dest / name).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(source, dest / name)
    if not example:
        shutil.copytree(FIXTURE_CONF, dest / "conf", dirs_exist_ok=True)
        choices = {"dataset": "shop", "source": "files", **(choices or {})}
        conf_edits = FIXTURE_EDITS | (conf_edits or {})
    for name, edits in (conf_edits or {}).items():
        path = dest / "conf" / name
        path.write_text(yaml.safe_dump(yaml.safe_load(path.read_text()) | edits, sort_keys=False))
    root_config = dest / "conf" / "config.yaml"
    for group, option in (choices or {}).items():
        root_config.write_text(set_default(root_config.read_text(), group, option))
    run(["python", "-m", "pipeline.cli", "params"], dest)
    for empty in ("data/landing", "models/champion"):  # as `make setup` does
        (dest / empty).mkdir(parents=True, exist_ok=True)
    run(["git", "init", "-q", "-b", "main"], dest)
    if shared_cache:
        share_the_session_cache(dest)
    if not example:
        land_fixture(dest, FIXTURE_BATCHES[:landed])
    commit(dest, "initial")
    return dest


def land_fixture(repo: Path, batches: list[str]) -> None:
    """Land fixture batches (one CSV per year) in the repository and `dvc add` them."""
    folder = repo / "data" / "landing" / "customers"
    folder.mkdir(parents=True, exist_ok=True)
    for batch in batches:
        shutil.copy2(FIXTURE_FILES / f"{batch}.csv", folder / f"{batch}.csv")
    run(["dvc", "add", "data/landing"], repo)


def start_queue(repo: Path, workers: int) -> None:
    """`dvc queue start`: its workers outlive it and hold its output open, so none is captured."""
    path = f"{Path(sys.executable).parent}{os.pathsep}{os.environ['PATH']}"
    subprocess.run(
        ["dvc", "queue", "start", "-j", str(workers)],
        cwd=repo,
        env=os.environ | {"PATH": path},
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        check=True,
        timeout=120,
    )


def commit(repo: Path, message: str) -> None:
    run([*GIT, "add", "-A"], repo)
    run([*GIT, "commit", "-qm", message], repo)


def stages_ran(repro_output: str) -> list[str]:
    """The stages `dvc repro` found out of date, in the order it took them: those it ran, and
    those it restored from the run-cache because a test repository had run them on the same
    inputs before (every repository of a session shares one cache). Not the stages it found
    unchanged."""
    found = re.findall(r"Running stage '([^']+)'|Stage '([^']+)' is cached", repro_output)
    return [ran or cached for ran, cached in found]


# One folder for the whole session, shared by the xdist workers: the DVC cache every test
# repository uses, and the repository states built once (see `built_state`). Set by conftest.
_session: list[Path] = []


def share_across_the_session(folder: Path) -> None:
    _session[:] = [folder]


def share_the_session_cache(repo: Path) -> None:
    """Point the repository's DVC cache at the session's (in .dvc/config.local, which git
    ignores). DVC's run-cache lives there too: a stage another test already ran on the same
    inputs is restored instead of run. The link type stays DVC's default, reflink or copy, so
    no workspace file is the cache's own file that a test could change in place."""
    if _session:
        cache = _session[0] / "dvc-cache"
        (repo / ".dvc").mkdir(exist_ok=True)
        (repo / ".dvc" / "config.local").write_text(f"[cache]\n    dir = {cache}\n")


def built_state(name: str, build: Callable[[Path], None]) -> Path:
    """The repository state `name`, built by `build(folder)` once per session (`folder` does
    not exist yet: a build may make it by copying another state).

    The first test process to ask builds it while the others wait on a file lock. Nobody
    changes it after: a test copies it (`copy_state`) and changes its copy.
    """
    assert _session, "conftest sets the session's folder"
    _only_in_slow_tests(f"the state {name!r}")
    states = _session[0] / "states"
    states.mkdir(parents=True, exist_ok=True)
    repo, done = states / name / "repo", states / name / "built"
    with FileLock(states / f"{name}.lock"):
        if not done.exists():
            shutil.rmtree(states / name, ignore_errors=True)  # a build that failed half-way
            repo.parent.mkdir()
            build(repo)
            done.touch()
    return repo


def copy_state(name: str, build: Callable[[Path], None], dest: Path) -> Path:
    """A copy of the state `name` at `dest` (a new folder), to change as a test likes."""
    return copy_repo(built_state(name, build), dest)


def copy_repo(repo: Path, dest: Path) -> Path:
    """A copy of a repository at `dest` (a new folder): its git history, workspace and DVC
    config, so the copy shares the session's cache."""
    return Path(shutil.copytree(repo, dest, symlinks=True))


def build_trained(dest: Path) -> None:
    """Every fixture year landed, `dvc repro` run, everything committed."""
    make_repo(dest)
    assert stages_ran(run(["dvc", "repro"], dest).stdout) == ALL_STAGES
    commit(dest, "trained")


def build_five_years(dest: Path) -> None:
    """Every fixture year but the newest landed, `dvc repro` run, everything committed."""
    make_repo(dest, landed=len(FIXTURE_BATCHES) - 1)
    assert stages_ran(run(["dvc", "repro"], dest).stdout) == ALL_STAGES
    commit(dest, "all years but the newest")


def build_three_years(dest: Path) -> None:
    """The fixture's first three years landed, `dvc repro` run, everything committed."""
    make_repo(dest, landed=3)
    assert stages_ran(run(["dvc", "repro"], dest).stdout) == ALL_STAGES
    commit(dest, "three years")


# Commits need an author; the test repositories have none configured.
AUTHOR = {
    "GIT_AUTHOR_NAME": "test",
    "GIT_AUTHOR_EMAIL": "test@example.com",
    "GIT_COMMITTER_NAME": "test",
    "GIT_COMMITTER_EMAIL": "test@example.com",
}
REPLAYED = FIXTURE_BATCHES[3:5]  # the two years after the three-year state's
BREAKS_ITS_CONTRACT = FIXTURE_BATCHES[5]  # held back with a region its contract does not allow


def replay(repo: Path, *args: str, check: bool = True) -> subprocess.CompletedProcess:
    """`pipeline replay` from the held-back folder (see build_replayed)."""
    command = ["python", "-m", "pipeline.cli", "replay", "--folder", "held-back", *args]
    return run(command, repo, check=check, env=AUTHOR)


def build_replayed(dest: Path) -> None:
    """The three-year state, then REPLAYED replayed one at a time by `pipeline replay` on its
    branch, with a commit that is no batch (a note) between them. Every fixture year waits in
    `held-back/` (git ignores it), the last with a region its contract does not allow. What
    the terminal said is in `replay-1.out` and `replay-2.out` beside the repository."""
    copy_repo(built_state("three-years", build_three_years), dest)
    held_back = dest / "held-back"
    held_back.mkdir()
    for batch in FIXTURE_BATCHES:  # the years landed already are in the folder too: skipped
        shutil.copy(FIXTURE_FILES / f"{batch}.csv", held_back)
    broken = pd.read_csv(held_back / f"{BREAKS_ITS_CONTRACT}.csv")
    broken.loc[broken.index[:3], "region"] = "atlantis"
    broken.to_csv(held_back / f"{BREAKS_ITS_CONTRACT}.csv", index=False)
    (dest / ".git" / "info" / "exclude").write_text("held-back/\n")
    for number, batch in enumerate(REPLAYED, start=1):
        said = replay(dest, "--to", batch)
        (dest.parent / f"replay-{number}.out").write_text(said.stdout)
        if number == 1:
            (dest / "NOTES.md").write_text("Not a batch: no trailer.\n")
            commit(dest, "notes: a commit between batches")


class _HistoryTable(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.rows: list[dict] = []
        self.inside = False

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if tag == "table" and attrs.get("id") == "history":
            self.inside = True
        elif self.inside and tag == "tr" and "data-batch" in attrs:
            self.rows.append({"batch": attrs["data-batch"], "text": [], "values": {}, "links": []})
        elif self.inside and tag == "td" and self.rows:
            self.rows[-1]["text"].append("")
            if "data-name" in attrs:
                self.rows[-1]["values"][attrs["data-name"]] = attrs
        elif self.inside and tag == "a" and self.rows:
            self.rows[-1]["links"].append(attrs["href"])

    def handle_endtag(self, tag):
        if tag == "table":
            self.inside = False

    def handle_data(self, data):
        if self.inside and self.rows and self.rows[-1]["text"]:
            self.rows[-1]["text"][-1] += data


def history_table(page: str) -> list[dict]:
    """The rows of reports/history.html's table, as shown: per row its batch, each cell's
    text, the attributes of each cell that carries a number (data-name: data-value, ...),
    and its links."""
    parser = _HistoryTable()
    parser.feed(page)
    return parser.rows


def write_parts(frame, folder: Path, part_rows: int, whole: str) -> Path:
    """`frame` as the Dask engine writes a table: a folder of Parquet parts, in which a part
    whose `whole` column has no gap stores it as integers (as pandas would)."""
    folder.mkdir()
    for number, start in enumerate(range(0, len(frame), part_rows)):
        part = frame.iloc[start : start + part_rows]
        if part[whole].notna().all():
            part = part.astype({whole: "int64"})
        part.to_parquet(folder / f"part-{number:05d}-0000.parquet", index=False)
    return folder
