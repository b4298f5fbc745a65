"""The package's layers: a module imports only from its own layer or those below it.

Read from the source (every import, module-level or inside a function), so a command's
orchestration cannot creep back into a core module: printing and loading params belong to
`commands/`, and a core module that needs a higher layer is a design smell this test names.
"""

from __future__ import annotations

import ast

import pytest
from helpers import ROOT

PACKAGE = ROOT / "src" / "pipeline"
# Lowest first. A module may import its own layer and any layer before it in this list.
LAYERS = [
    ["errors", "progress", "io", "secrets", "plugins", "vcs"],
    ["config"],
    ["engine", "scheduling"],
    ["contracts"],
    ["data"],
    ["modeling"],
    ["monitoring"],
    ["reporting"],
    ["serving"],
    ["lifecycle"],
    ["onboarding"],
    ["stages", "commands"],
    ["cli"],
]
RANK = {name: rank for rank, names in enumerate(LAYERS) for name in names}
# Prints belong to commands/ and cli.py; progress.py writes progress lines of long steps, and
# gunicorn's hook says where the server answers (it runs inside the server, not a command).
MAY_PRINT = {"commands", "cli", "progress"}
PRINT_EXCEPTIONS = {"serving/gunicorn_conf.py"}


def layer_of(module: str) -> str:
    return module.split(".")[1] if "." in module else module


def framework_modules() -> list:
    return [
        path
        for path in sorted(PACKAGE.rglob("*.py"))
        if "examples" not in path.relative_to(PACKAGE).parts and path.name != "__init__.py"
    ]


def imported(path) -> set[str]:
    """The package's modules that `path` imports anywhere in its source."""
    found = set()
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.ImportFrom) and (node.module or "").startswith("pipeline"):
            parts = node.module.split(".")
            found |= (
                {f"pipeline.{alias.name}" for alias in node.names}
                if len(parts) == 1
                else {node.module}
            )
        elif isinstance(node, ast.Import):
            found |= {alias.name for alias in node.names if alias.name.startswith("pipeline.")}
    return found


@pytest.mark.parametrize(
    "path", framework_modules(), ids=lambda path: path.relative_to(PACKAGE).as_posix()
)
def test_a_module_imports_no_layer_above_its_own(path):
    own = path.relative_to(PACKAGE).parts[0].removesuffix(".py")
    above = sorted(module for module in imported(path) if RANK[layer_of(module)] > RANK[own])
    assert not above, f"{path.relative_to(PACKAGE)} imports a higher layer: {above}"


def test_every_folder_and_top_module_has_a_layer():
    names = {path.name.removesuffix(".py") for path in PACKAGE.iterdir()}
    names -= {"__init__", "__pycache__", "examples"}
    assert names <= set(RANK), f"give these a layer here: {sorted(names - set(RANK))}"


@pytest.mark.parametrize(
    "path", framework_modules(), ids=lambda path: path.relative_to(PACKAGE).as_posix()
)
def test_only_commands_print(path):
    where = path.relative_to(PACKAGE)
    if where.parts[0].removesuffix(".py") in MAY_PRINT or where.as_posix() in PRINT_EXCEPTIONS:
        return
    calls = [
        node.lineno
        for node in ast.walk(ast.parse(path.read_text()))
        # a call, or print handed on as a value (a default `say=print`): both print here
        if isinstance(node, ast.Name) and node.id == "print"
    ]
    assert not calls, f"{where} prints (lines {calls}): return the text, let a command print it"


ENGINE_NAMES = {"dask", "pandas"}


def branches_on_engine_or_model(tree: ast.AST) -> list[int]:
    """Lines comparing `<...>.engine.name` or `<...>.model.name`, naming EngineName, or
    comparing with an engine's name as a string ("dask", "pandas")."""

    def names_choice(node: ast.AST) -> bool:
        return (
            (
                isinstance(node, ast.Attribute)
                and node.attr == "name"
                and isinstance(node.value, ast.Attribute | ast.Name)
                and getattr(node.value, "attr", getattr(node.value, "id", None))
                in ("engine", "model")
            )
            or (isinstance(node, ast.Name) and node.id == "EngineName")
            or (isinstance(node, ast.Constant) and node.value in ENGINE_NAMES)
        )

    return [
        node.lineno
        for node in ast.walk(tree)
        if isinstance(node, ast.Compare)
        and any(
            names_choice(part) for side in [node.left, *node.comparators] for part in ast.walk(side)
        )
    ]


@pytest.mark.parametrize(
    "path", sorted((PACKAGE / "stages").glob("*.py")), ids=lambda path: path.name
)
def test_a_stage_is_one_recipe_for_both_engines(path):
    """engine/runner.py decides where a table's work runs; a stage never tests the engine or
    the model's name, and never talks to the cluster itself."""
    tree = ast.parse(path.read_text())
    assert not branches_on_engine_or_model(tree), f"stages/{path.name} branches on the engine"
    cluster = {m for m in imported(path) if m.startswith("pipeline.engine.cluster")}
    assert not cluster, f"stages/{path.name} imports the cluster: run tasks through a Runner"


def test_the_engine_check_finds_a_branch():
    branch = ast.parse("if params.engine.name == EngineName.dask:\n    pass")
    model = ast.parse("on = params.model.name == 'xgboost'")
    assert branches_on_engine_or_model(branch) == [1]
    assert branches_on_engine_or_model(model) == [1]
    report = ast.parse('where = "x" if fitted.searched.get("trained_on") == "dask" else ""')
    assert branches_on_engine_or_model(report) == [1]
    assert not branches_on_engine_or_model(ast.parse("x = params.model.name"))


def test_no_two_modules_import_each_other():
    """A cycle (even through function-level imports) means two modules share one job."""
    modules = {
        "pipeline." + path.relative_to(PACKAGE).with_suffix("").as_posix().replace("/", "."): path
        for path in framework_modules()
    }
    graph = {name: imported(path) & set(modules) for name, path in modules.items()}

    def reaches(start: str, goal: str) -> bool:
        seen, todo = set(), [start]
        while todo:
            name = todo.pop()
            if name == goal:
                return True
            if name not in seen:
                seen.add(name)
                todo += graph[name]
        return False

    cycles = sorted(
        (name, other) for name, others in graph.items() for other in others if reaches(other, name)
    )
    assert not cycles, f"import cycles through: {cycles}"
