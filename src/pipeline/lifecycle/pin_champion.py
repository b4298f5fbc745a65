"""`pipeline champion`: resolve the champion now and pin it in paths.champion (see champion.py)."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

import yaml

from pipeline.errors import PipelineError
from pipeline.lifecycle.champion import INFO_FILE, MODEL_FILE, describe, read_pin


def model_in_lock(commit: str, model_path: str) -> str | None:
    """The md5 of `model_path` in `commit`'s dvc.lock, or None when it records none."""
    shown = subprocess.run(
        ["git", "show", f"{commit}:dvc.lock"], capture_output=True, text=True, check=False
    )
    if shown.returncode != 0:
        return None
    stages = (yaml.safe_load(shown.stdout) or {}).get("stages", {})
    for stage in stages.values():
        for out in stage.get("outs", []):
            if out.get("path") == model_path:
                return out["md5"]
    return None


def resolve_commit(ref: str) -> str | None:
    done = subprocess.run(
        ["git", "rev-parse", "--verify", "--quiet", f"{ref}^{{commit}}"],
        capture_output=True,
        text=True,
        check=False,
    )
    return done.stdout.strip() if done.returncode == 0 else None


def fetch_champion(base: str, model_path: str, dest: Path) -> dict | None:
    """Fetch the champion's model to `dest`; return where it came from, or None if none."""
    from pipeline.lifecycle import registry

    version = registry.fetch_stage("prod", dest)
    if version is not None:
        name = registry.artifact_name()
        return {"source": "registry", "artifact": name, "stage": "prod", "version": version}
    commit = resolve_commit(base)
    md5 = model_in_lock(commit, model_path) if commit else None
    if md5 is None:
        return None
    import dvc.api

    try:
        with dvc.api.open(model_path, repo=".", rev=commit, mode="rb") as source:
            dest.write_bytes(source.read())
    except Exception as error:  # dvc raises many kinds for a missing cache or remote
        raise PipelineError(
            f"cannot fetch {model_path} of {base} ({commit[:7]}, md5 {md5}): {error}; "
            "fetch it with `make pull`, or run `make run` on that commit"
        ) from error
    return {"source": "dvc.lock", "ref": base, "commit": commit, "md5": md5}


def pin(folder: Path, base: str, model_path: str) -> dict | None:
    """Replace `folder` with the champion resolved now and `dvc add` it; return its pin."""
    with tempfile.TemporaryDirectory(dir=folder.parent if folder.parent.exists() else None) as tmp:
        staged = Path(tmp) / "champion"
        staged.mkdir()
        found = fetch_champion(base, model_path, staged / MODEL_FILE)
        if found is not None:
            (staged / INFO_FILE).write_text(json.dumps(found, indent=2, sort_keys=True) + "\n")
        shutil.rmtree(folder, ignore_errors=True)
        folder.parent.mkdir(parents=True, exist_ok=True)
        shutil.move(staged, folder)
    track(folder)
    return found


def track(folder: Path) -> None:
    """`dvc add` the champion folder: its .dvc file changes, and git stages it."""
    done = subprocess.run(
        [sys.executable, "-m", "dvc", "add", "--quiet", str(folder)],
        capture_output=True,
        text=True,
        check=False,
    )
    if done.returncode != 0:
        raise PipelineError(f"dvc add {folder} failed: {done.stderr.strip()}")


def unpin(folder: Path) -> bool:
    """Pin no champion (the empty folder); True when one was pinned before."""
    if not folder.exists() or read_pin(folder) is None:
        return False
    shutil.rmtree(folder)
    folder.mkdir(parents=True)
    track(folder)
    return True


def champion_command(base: str) -> int:
    """`pipeline champion`: pin the champion; exit 0, or 1 with the reason."""
    from pipeline.config import load_params

    paths = load_params().paths
    folder = Path(paths.champion)
    try:
        found = pin(folder, base, paths.model)
    except PipelineError as error:
        print(f"champion: {error}", file=sys.stderr)
        return 1
    if found is None:
        print(f"champion: none (no version in prod, no model in {base}'s dvc.lock)")
    else:
        print(f"champion: {describe(found)}")
    print(f"pinned in {folder}.dvc: commit it; `dvc repro` compares the new model with it")
    return 0
