"""`pipeline champion`: resolve the champion now and pin it in paths.champion (see champion.py)."""

from __future__ import annotations

import json
from pathlib import Path

import yaml

from pipeline import vcs
from pipeline.errors import PipelineError, ToolError
from pipeline.io import atomic_dir
from pipeline.lifecycle.pinned import INFO_FILE, MODEL_FILE, read_pin


def model_in_lock(commit: str, model_path: str) -> str | None:
    """The md5 of `model_path` in `commit`'s dvc.lock, or None when it records none."""
    try:
        shown = vcs.git("show", f"{commit}:dvc.lock")
    except ToolError:  # no dvc.lock in that commit
        return None
    stages = (yaml.safe_load(shown) or {}).get("stages", {})
    for stage in stages.values():
        for out in stage.get("outs", []):
            if out.get("path") == model_path:
                return out["md5"]
    return None


def resolve_commit(ref: str) -> str | None:
    """The commit `ref` names, or None when it names none."""
    try:
        return vcs.git("rev-parse", "--verify", "--quiet", f"{ref}^{{commit}}").strip()
    except ToolError:
        return None


def fetch_champion(base: str, model_path: str, dest: Path, registry: bool = True) -> dict | None:
    """Fetch the champion's model to `dest` (prod's version, unless not `registry`, else
    `base`'s); return where it came from, or None if none."""
    from pipeline.lifecycle import registry as model_registry

    version = model_registry.fetch_stage("prod", dest) if registry else None
    if version is not None:
        name = model_registry.artifact_name()
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


def pin(folder: Path, base: str, model_path: str, registry: bool = True) -> dict | None:
    """Replace `folder` with the champion resolved now and `dvc add` it; return its pin.
    `registry` False: `base`'s model even when the registry has a prod version (replay)."""
    with atomic_dir(folder) as staged:
        found = fetch_champion(base, model_path, staged / MODEL_FILE, registry)
        if found is not None:
            (staged / INFO_FILE).write_text(json.dumps(found, indent=2, sort_keys=True) + "\n")
    track(folder)
    return found


def track(folder: Path) -> None:
    """`dvc add` the champion folder: its .dvc file changes, and git stages it."""
    vcs.dvc("add", "--quiet", folder)


def unpin(folder: Path) -> bool:
    """Pin no champion (the empty folder); True when one was pinned before."""
    if not folder.exists() or read_pin(folder) is None:
        return False
    with atomic_dir(folder):
        pass  # an empty folder in its place
    track(folder)
    return True
