"""The model registry: git tags written by GTO for the artifact declared in dvc.yaml.

`register` tags the current commit as a new version of the model, `promote` assigns a
version to a stage (dev, staging, prod), and `dvc artifacts get . <name> --stage prod`
then fetches that version's model from the DVC remote.
"""

from __future__ import annotations

import json
from pathlib import Path

from pipeline import vcs
from pipeline.config import Reports
from pipeline.errors import PipelineError, ToolError

STAGES = ["dev", "staging", "prod"]
# Where `serve` keeps the version of a stage it fetched from the registry: <stage>.skops.
FETCHED_DIR = Path("models/serving")


def artifact_name() -> str:
    """The model's name in the registry: dataset.artifact.name (dvc.yaml interpolates it)."""
    from pipeline.config import load_params

    return load_params().dataset.artifact.name


def ensure_committed() -> None:
    """A version must be reproducible: no uncommitted changes, no stale pipeline outputs."""
    if vcs.git("status", "--porcelain", "--untracked-files=no").strip():
        raise PipelineError("uncommitted changes: commit them, then register that commit")
    status = json.loads(vcs.dvc("status", "--json") or "{}")
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
    vcs.dvc("push", "--quiet")
    return registered.version


def promote(stage: str, version: str | None = None, force: bool = False) -> str:
    """Assign a version (default: the latest) to `stage`; return the version assigned.

    Refused, unless `force`, when the version's comparison with the champion failed or
    (for prod) was made against another model than the one in prod now.
    """
    import gto.api

    if stage not in STAGES:
        raise PipelineError(f"stage {stage!r}: expected one of {STAGES}")
    name = artifact_name()
    if version is None:
        version = gto.api.find_latest_version(".", name)
        if version is None:
            raise PipelineError(f"{name} has no registered version: run `make register` first")
        version = version.version
    refusal = None if force else promotion_refusal(name, version, stage)
    if refusal:
        raise PipelineError(
            f"not promoting {name} {version} to {stage}: {refusal}. "
            f"To promote it anyway: make promote STAGE={stage} VERSION={version} FORCE=1"
        )
    gto.api.assign(
        ".", name, stage, version=version, message=f"promote {name} {version} to {stage}"
    )
    return version


def read_at(path: str, rev: str) -> dict:
    """A JSON file the pipeline wrote, as it was at `rev` (from the DVC cache or remote)."""
    import dvc.api

    return json.loads(dvc.api.read(path, repo=".", rev=rev))


def version_in_stage(name: str, stage: str) -> str | None:
    import gto.api

    found = gto.api.find_versions_in_stage(".", name, stage)
    if not found:
        return None
    first = found[0] if isinstance(found, list) else found
    return getattr(first, "version", str(first))


def promotion_refusal(name: str, version: str, stage: str) -> str | None:
    """Why `version` must not go to `stage` on its evidence, or None when it may."""
    import yaml

    from pipeline.lifecycle.promotion import decide

    rev = f"{name}@{version}"  # GTO's tag of the version
    try:
        paths = yaml.safe_load(vcs.git("show", f"{rev}:params.yaml"))["paths"]
        verdict = read_at(Reports(paths).gate.as_posix(), rev)
        comparison = read_at(Reports(paths).comparison.as_posix(), rev)
    except Exception as error:  # a version from before the comparison, or its data is gone
        return f"its comparison with the champion cannot be read at {rev} ({error})"
    decision = decide(verdict)  # the one decision replay and the retrain workflow state
    if not decision.promote:
        return f"its gate decided to keep the champion at {rev}: {decision.reason}"
    in_prod = version_in_stage(name, "prod") if stage == "prod" else None
    pin = comparison.get("champion_pin") or {}
    if in_prod not in (None, version) and (
        pin.get("source") != "registry" or pin.get("version") != in_prod
    ):
        return (
            f"it was compared with {comparison.get('champion_name', 'no champion')}, not with "
            f"{in_prod}, which is in prod now: run `make champion`, `make run`, commit, "
            "register, then promote the new version"
        )
    return None


def fetch_stage(stage: str, dest: Path) -> str | None:
    """Fetch the version assigned to `stage` to `dest` and return it; None if none is."""
    from gto.exceptions import ArtifactNotFound
    from scmrepo.exceptions import SCMError

    name = artifact_name()
    try:
        version = version_in_stage(name, stage)
    except (ArtifactNotFound, SCMError):  # nothing registered yet, or not a git repository
        return None
    if version is None:
        return None
    dest.parent.mkdir(parents=True, exist_ok=True)
    try:
        vcs.dvc("artifacts", "get", ".", name, "--stage", stage, "-o", dest, "--force")
    except ToolError as error:
        raise PipelineError(f"cannot fetch {name} {version} ({stage}): {error}") from None
    return version
