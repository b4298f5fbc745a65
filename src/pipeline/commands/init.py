"""`pipeline init PATH --target COLUMN`: a team's own table in one command (see onboarding/)."""

from __future__ import annotations

import sys

from pipeline.errors import PipelineError
from pipeline.onboarding.adopt import (
    DATASET_DIR,
    ROOT_CONFIG,
    Adopted,
    InitRequest,
    adopt,
    describe_batches,
)
from pipeline.onboarding.dataset_file import rules_path
from pipeline.onboarding.inference import ColumnGuess


def run(request: InitRequest) -> int:
    """Exit 0 when the dataset is ready to run, 1 on a refusal (nothing written)."""
    try:
        adopted = adopt(request)
    except PipelineError as error:
        print(f"init: {error}", file=sys.stderr)
        return 1
    tell(request, adopted)
    return 0


def tell(request: InitRequest, adopted: Adopted) -> None:
    guess, name = adopted.guess, adopted.name
    print(
        f"init: {adopted.rows:,} rows of {request.path} -> dataset {name!r}, {guess.task} "
        f"({guess.reason})"
    )
    if guess.task == "classification":
        negative, positive = guess.classes
        print(
            f"  positive class: {positive!r} ({guess.positive_rule}; the other is {negative!r}): "
            "the model gives its probability. Another: --force --positive VALUE"
        )
    elif guess.task == "multiclass":
        print(f"  classes: {', '.join(map(repr, guess.classes))}")
    by = {
        "file": "from the file names",
        "column": f"by {adopted.batch_column}",
        "date": f"the {request.batch_by} of {request.batch_column}",
    }[adopted.batch_from]
    print(f"  {describe_batches(adopted.batches, by)}")
    print_table(adopted.columns)
    if adopted.leaks:
        print("likely leaks (each alone gives the target away on the training batches):")
        for leak in adopted.leaks:
            print(f"  {leak.column}: {leak.reason}")
        drops = " ".join(f"--drop {leak.column}" for leak in adopted.leaks)
        print(f"  if they are not known when you predict, run init again with --force {drops}")
    landing, champion = adopted.landing, adopted.champion
    config = f"{DATASET_DIR / f'{name}.yaml'} {rules_path(name)}"
    print(
        f"wrote: {DATASET_DIR / f'{name}.yaml'}, its contract {rules_path(name)}, "
        f"{ROOT_CONFIG} (dataset: {name}, source: files), "
        f"params.yaml; landed {len(adopted.written)} files in {landing / name}/ "
        f"(dvc add {landing})"
    )
    if adopted.unpinned:
        print(f"champion: unpinned ({champion} held a model of the dataset before)")
    print("next:  make run      # the whole pipeline on it: metrics, reports, the gate")
    print("       make check    # the gate's verdict on the newest batch")
    print("       make serve    # the model over HTTP: /docs")
    print(
        f"       git add {config} {ROOT_CONFIG} params.yaml "
        f"{landing}.dvc {champion}.dvc dvc.lock && git commit -m 'dataset {name}'"
    )


def print_table(columns: list[ColumnGuess]) -> None:
    """Each column's type, role and rule (the target first), aligned."""
    header = ("column", "type", "role", "rule")
    rows = [header] + [
        (g.name, g.type, g.role, g.rule() + (f"  [{g.note}]" if g.note else "")) for g in columns
    ]
    widths = [max(len(row[i]) for row in rows) for i in (0, 1, 2)]
    for row in rows:
        cells = "  ".join(cell.ljust(width) for cell, width in zip(row[:3], widths, strict=True))
        print(f"  {cells}  {row[3]}")
