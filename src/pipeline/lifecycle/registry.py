"""The model registry: git tags written by GTO for the artifact declared in dvc.yaml.

`register` tags the current commit as a new version of the model, `promote` assigns a
version to a stage (dev, staging, prod), and `dvc artifacts get . <name> --stage prod`
then fetches that version's model from the DVC remote.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

from pipeline.errors import PipelineError

STAGES = ["dev", "staging", "prod"]


def artifact_name() -> str:
    """The model's name in the registry: dataset.artifact.name (dvc.yaml interpolates it)."""
    from pipeline.config import load_params

    return load_params().dataset.artifact.name


def _run(*cmd: str) -> str:
    return subprocess.run(cmd, capture_output=True, text=True, check=True).stdout


def ensure_committed() -> None:
    """A version must be reproducible: no uncommitted changes, no stale pipeline outputs."""
    if _run("git", "status", "--porcelain", "--untracked-files=no").strip():
        raise PipelineError("uncommitted changes: commit them, then register that commit")
    status = json.loads(_run(sys.executable, "-m", "dvc", "status", "--json") or "{}")
    if status:
        raise PipelineError(
            f"pipeline outputs are stale ({', '.join(sorted(status))}): run `dvc repro` and commit"
        )


def register(message: str) -> str:
    """Tag HEAD as the next version, push its data and model, and return the version."""
    import gto.api

    ensure_committed()
    name = artifact_name()
    registered = gto.api.register(".", name, "HEAD", message=message)
    # The version must be fetchable by others: its data and model go to the DVC remote.
    subprocess.run([sys.executable, "-m", "dvc", "push", "--quiet"], check=True)
    return registered.version


def promote(stage: str, version: str | None = None) -> str:
    """Assign a version (default: the latest) to `stage`; return the version assigned."""
    import gto.api

    if stage not in STAGES:
        raise PipelineError(f"stage {stage!r}: expected one of {STAGES}")
    name = artifact_name()
    if version is None:
        version = gto.api.find_latest_version(".", name)
        if version is None:
            raise PipelineError(f"{name} has no registered version: run `make register` first")
        version = version.version
    gto.api.assign(
        ".", name, stage, version=version, message=f"promote {name} {version} to {stage}"
    )
    return version


def fetch_stage(stage: str, dest: Path) -> str | None:
    """Fetch the version assigned to `stage` to `dest` and return it; None if none is."""
    import gto.api
    from gto.exceptions import ArtifactNotFound
    from scmrepo.exceptions import SCMError

    name = artifact_name()
    try:
        found = gto.api.find_versions_in_stage(".", name, stage)
    except (ArtifactNotFound, SCMError):  # nothing registered yet, or not a git repository
        return None
    if not found:
        return None
    first = found[0] if isinstance(found, list) else found
    version = getattr(first, "version", str(first))
    dest.parent.mkdir(parents=True, exist_ok=True)
    command = [sys.executable, "-m", "dvc", "artifacts", "get", ".", name, "--stage", stage]
    done = subprocess.run([*command, "-o", str(dest), "--force"], capture_output=True, text=True)
    if done.returncode != 0:
        raise PipelineError(f"cannot fetch {name} {version} ({stage}): {done.stderr.strip()}")
    return version


def registry_command(
    command: str, message: str | None, stage: str | None, version: str | None
) -> int:
    """`register` or `promote`: exit 0 when done, 1 with the reason when not."""
    from pipeline.errors import PipelineError

    try:
        if command == "register":
            version = register(message or "")
            print(f"registered {artifact_name()} {version}")
            print(f"next: make promote STAGE=prod VERSION={version}")
        else:
            version = promote(stage, version)
            name = artifact_name()
            print(f"{name} {version} is now in stage {stage}")
            print(f"fetch it with: dvc artifacts get . {name} --stage {stage}")
    except PipelineError as error:
        print(f"{command}: {error}", file=sys.stderr)
        return 1
    return 0
