"""docs/pipeline.md's table of stages is dvc.yaml's: the same stages in the same order, each
with the outputs and params dvc.yaml gives it. The page a reader trusts to know what a stage
writes and what reruns it cannot fall behind the pipeline."""

from __future__ import annotations

import re
from pathlib import PurePosixPath

import pytest
import yaml
from helpers import ROOT

INTERPOLATION = re.compile(r"\$\{([\w.]+)\}")


def params_value(params: dict, dotted: str) -> str:
    value = params
    for part in dotted.split("."):
        value = value[part]
    return str(value)


def dvc_stages() -> dict[str, dict]:
    """dvc.yaml's stages, with `${...}` resolved from params.yaml as DVC resolves them."""
    params = yaml.safe_load((ROOT / "params.yaml").read_text())
    text = (ROOT / "dvc.yaml").read_text()
    resolved = INTERPOLATION.sub(lambda match: params_value(params, match.group(1)), text)
    return yaml.safe_load(resolved)["stages"]


def stage_outputs(stage: dict) -> set[str]:
    """Every path a stage writes: its outs, metrics and plots (an entry may carry options)."""
    found = set()
    for kind in ("outs", "metrics", "plots"):
        for entry in stage.get(kind, []):
            for path in [entry] if isinstance(entry, str) else entry:
                found.add(path.rstrip("/"))
    return found


def table_rows() -> list[list[str]]:
    """The cells of each row of the table under `## Stages`, header and rule left out."""
    page = (ROOT / "docs" / "pipeline.md").read_text()
    section = page.split("\n## Stages\n", 1)[1].split("\n## ", 1)[0]
    lines = [line for line in section.splitlines() if line.startswith("| ")]
    assert lines and lines[0].startswith("| Stage |"), "docs/pipeline.md: no table of stages"
    return [[cell.strip() for cell in line.strip("|").split("|")] for line in lines[1:]]


def named_paths(cell: str) -> set[str]:
    """The paths an Outputs cell names. A bare name (`holdout.parquet`, `dependence/`) is in
    the folder of the last full path before it (`data/processed/train.parquet`)."""
    found, folder = set(), PurePosixPath(".")
    for name in re.findall(r"`([^`]+)`", cell):
        if "/" in name.rstrip("/"):
            folder = PurePosixPath(name) if name.endswith("/") else PurePosixPath(name).parent
            found.add(name.rstrip("/"))
        else:
            found.add(str(folder / name.rstrip("/")))
    return found


def named_params(cell: str) -> set[str]:
    """The param keys a Params cell names. `.batch` after `dataset.tables` is `dataset.batch`."""
    found, group = set(), ""
    for key in re.findall(r"`([^`]+)`", cell):
        if key.startswith("."):
            key = group + key
        else:
            group = key.split(".", 1)[0]
        found.add(key)
    return found


def documented() -> dict[str, list[str]]:
    """The table's rows by stage name."""
    return {row[0]: row for row in table_rows()}


def test_the_table_has_every_stage_of_dvc_yaml_and_no_other():
    in_table = [row[0] for row in table_rows()]
    in_dvc = list(dvc_stages())
    assert not set(in_dvc) - set(in_table), (
        f"docs/pipeline.md's table of stages lacks {sorted(set(in_dvc) - set(in_table))}"
    )
    assert not set(in_table) - set(in_dvc), (
        f"docs/pipeline.md's table names stages dvc.yaml lacks: "
        f"{sorted(set(in_table) - set(in_dvc))}"
    )


def test_the_table_lists_the_stages_in_dvc_yaml_order():
    in_table = [row[0] for row in table_rows()]
    in_dvc = [stage for stage in dvc_stages() if stage in in_table]
    assert [stage for stage in in_table if stage in in_dvc] == in_dvc, (
        f"docs/pipeline.md's table of stages is not in dvc.yaml's order: {in_dvc}"
    )


def documented_row(stage: str) -> list[str]:
    """The table's row for `stage`; the test fails when there is none."""
    rows = documented()
    if stage not in rows:
        pytest.fail(f"docs/pipeline.md's table of stages lacks {stage}")
    return rows[stage]


@pytest.mark.parametrize("stage", list(dvc_stages()))
def test_the_table_names_exactly_the_outputs_of_the_stage(stage):
    row = documented_row(stage)
    outputs = stage_outputs(dvc_stages()[stage])
    named = named_paths(row[2])

    def written(path: str) -> bool:  # the output itself, or a file inside an output folder
        return any(path == out or path.startswith(f"{out}/") for out in outputs)

    unknown = sorted(path for path in named if not written(path))
    assert not unknown, f"docs/pipeline.md names outputs of {stage} not in dvc.yaml: {unknown}"
    assert not outputs - named, (
        f"docs/pipeline.md's row for {stage} lacks outputs dvc.yaml declares: "
        f"{sorted(outputs - named)}"
    )


@pytest.mark.parametrize("stage", list(dvc_stages()))
def test_the_table_names_exactly_the_params_of_the_stage(stage):
    row = documented_row(stage)
    declared = set(dvc_stages()[stage].get("params", []))
    named = named_params(row[3])
    assert not named - declared, (
        f"docs/pipeline.md names params of {stage} that dvc.yaml does not declare: "
        f"{sorted(named - declared)}"
    )
    assert not declared - named, (
        f"docs/pipeline.md's row for {stage} lacks params dvc.yaml declares: "
        f"{sorted(declared - named)}"
    )


def test_a_bare_name_is_read_in_the_folder_of_the_path_before_it():
    cell = "`data/processed/train.parquet`, `holdout.parquet`; metrics `reports/x/`, `a.json`"
    assert named_paths(cell) == {
        "data/processed/train.parquet",
        "data/processed/holdout.parquet",
        "reports/x",
        "reports/x/a.json",
    }
    assert named_params("`seed`, `dataset.target`, `.task`, `report.gate.max`, `.classes`") == {
        "seed",
        "dataset.target",
        "dataset.task",
        "report.gate.max",
        "report.classes",
    }
