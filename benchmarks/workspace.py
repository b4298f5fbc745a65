"""What the pipeline benchmarks share: a fresh repository made from the working tree, commands
run with this environment's tools, and the stage order of dvc.yaml."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import time
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parents[1]
BENCH_DIR = ROOT / "reports" / "bench"
GIT = ["git", "-c", "user.name=bench", "-c", "user.email=bench@example.com"]


def environment(extra: dict[str, str] | None = None) -> dict[str, str]:
    path = f"{Path(sys.executable).parent}{os.pathsep}{os.environ['PATH']}"
    # No usage report after each `dvc` command: its detached process would run into the next
    # measurement.
    quiet = {"DVC_NO_ANALYTICS": "1"}
    return os.environ | {"PATH": path} | quiet | (extra or {})


def sh(*cmd: str, cwd: Path, env: dict[str, str] | None = None) -> str:
    """Run a command; stop the benchmark with its output if it fails."""
    done = subprocess.run(cmd, cwd=cwd, env=environment(env), capture_output=True, text=True)
    if done.returncode != 0:
        raise SystemExit(f"{' '.join(cmd)} failed in {cwd}:\n{done.stdout}\n{done.stderr}")
    return done.stdout


def timed(*cmd: str, cwd: Path, env: dict[str, str] | None = None) -> tuple[float, str]:
    """Wall seconds of one command, and what it printed."""
    started = time.perf_counter()
    out = sh(*cmd, cwd=cwd, env=env)
    return time.perf_counter() - started, out


def fresh_repo(dest: Path) -> Path:
    """A new git repository holding the working tree's files, as a clone of it would.

    Uncommitted edits are included, so a benchmark measures the code in front of you.
    """
    listed = sh("git", "ls-files", "-co", "--exclude-standard", cwd=ROOT).splitlines()
    for name in listed:
        source = ROOT / name
        if source.is_file():
            (dest / name).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(source, dest / name)
    for empty in ("data/landing", "models/champion"):  # as `make setup` does
        (dest / empty).mkdir(parents=True, exist_ok=True)
    sh("git", "init", "-q", "-b", "main", cwd=dest)
    commit(dest, "benchmark")
    return dest


def commit(repo: Path, message: str) -> None:
    sh(*GIT, "add", "-A", cwd=repo)
    sh(*GIT, "commit", "-qm", message, "--allow-empty", cwd=repo)


def stage_names(repo: Path) -> list[str]:
    """The stages of dvc.yaml, in the order they are written (an order that respects deps)."""
    return list(yaml.safe_load((repo / "dvc.yaml").read_text())["stages"])


def code_version() -> dict[str, object]:
    head = sh("git", "rev-parse", "--short", "HEAD", cwd=ROOT).strip()
    dirty = bool(sh("git", "status", "--porcelain", "--untracked-files=no", cwd=ROOT).strip())
    return {"commit": head, "uncommitted_changes": dirty}
