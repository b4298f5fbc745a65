"""The committed dvc.lock matches the committed files it records, so a clean clone's
`make run` reruns nothing and leaves `git status` clean. Both sides are read from HEAD:
an edit in progress is not yet a mismatch, a source change committed without
`pipeline repro` is."""

from __future__ import annotations

import hashlib
import subprocess

import yaml
from helpers import ROOT


def committed(path: str) -> bytes:
    return subprocess.run(
        ["git", "show", f"HEAD:{path}"], cwd=ROOT, capture_output=True, check=True
    ).stdout


def recorded_file_deps() -> dict[str, str]:
    """Each committed file a stage depends on, with the md5 the committed dvc.lock records."""
    listed = subprocess.run(
        ["git", "ls-tree", "-r", "--name-only", "HEAD"], cwd=ROOT, capture_output=True, text=True
    )
    tracked = set(listed.stdout.splitlines())
    lock = yaml.safe_load(committed("dvc.lock"))
    return {
        dep["path"]: dep["md5"]
        for stage in lock["stages"].values()
        for dep in stage.get("deps", [])
        if dep["path"] in tracked and "md5" in dep
    }


def test_every_committed_source_file_has_the_hash_the_committed_dvc_lock_records():
    recorded = recorded_file_deps()
    assert len(recorded) > 20  # the stages' modules, conf files and the contract
    stale = sorted(
        path for path, md5 in recorded.items() if hashlib.md5(committed(path)).hexdigest() != md5
    )
    assert stale == [], f"changed since dvc.lock was written (run `pipeline repro`): {stale}"
