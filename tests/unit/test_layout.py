"""The package is laid out by job: a module's file name says where it is.

Two modules of one name (`metrics.py` for the model's scores and for the server's counters)
make "where is metrics?" a question again. The examples are exempt: each is a package of its
own, with files named by role so that one example reads like another.
"""

from __future__ import annotations

from collections import defaultdict

from helpers import ROOT

PACKAGE = ROOT / "src" / "pipeline"
JOBS = {
    "commands",
    "stages",
    "data",
    "contracts",
    "modeling",
    "monitoring",
    "reporting",
    "serving",
    "lifecycle",
    "onboarding",
    "engine",
    "scheduling",
}
OPTIONAL = {"examples"}  # a project drops them once its own dataset runs (docs/datasets.md)


def framework_modules() -> list:
    return [
        path
        for path in sorted(PACKAGE.rglob("*.py"))
        if path.name != "__init__.py" and "examples" not in path.relative_to(PACKAGE).parts
    ]


def test_no_module_name_is_used_twice():
    where = defaultdict(list)
    for path in framework_modules():
        where[path.name].append(path.relative_to(PACKAGE).as_posix())
    twice = {name: paths for name, paths in where.items() if len(paths) > 1}
    assert not twice, f"rename one of each (a module's name is its job): {twice}"


def test_every_folder_of_the_package_is_a_job():
    folders = {path.name for path in PACKAGE.iterdir() if path.is_dir() and path.name[0] != "_"}
    assert JOBS <= folders <= JOBS | OPTIONAL, (
        "a new folder is a new job: add it to docs/pipeline.md and here"
    )
    assert len(framework_modules()) > 40  # the check reads the whole package
