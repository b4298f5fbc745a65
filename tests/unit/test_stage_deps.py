"""Each stage's deps in dvc.yaml cover the project modules its code imports.

A module a stage imports but does not list would change without DVC rerunning the stage.
Imports are found statically (module-level and inside functions) and followed transitively.
"""

from __future__ import annotations

import ast
import re
from pathlib import Path

import yaml
from helpers import ROOT

PACKAGE = ROOT / "src"
# Modules every stage uses, whose change is a change of the framework itself: listing them in
# every stage would make the deps unreadable. A change to them is rerun with `dvc repro -f`.
SHARED = {
    "pipeline/__init__.py",
    "pipeline/config.py",
    "pipeline/errors.py",
    "pipeline/io.py",
    "pipeline/stages/common.py",
}


def module_file(name: str) -> Path | None:
    """The file of a dotted module name inside the project, or None for other packages."""
    if name != "pipeline" and not name.startswith("pipeline."):
        return None
    base = PACKAGE.joinpath(*name.split("."))
    for candidate in (base.with_suffix(".py"), base / "__init__.py"):
        if candidate.exists():
            return candidate
    return None


def imported_modules(path: Path) -> set[str]:
    """Dotted names a module imports (`from pipeline.x import y` counts x and x.y)."""
    found = set()
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.Import):
            found |= {alias.name for alias in node.names}
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            found.add(node.module)
            found |= {f"{node.module}.{alias.name}" for alias in node.names}
        elif isinstance(node, ast.Constant) and isinstance(node.value, str):
            # A class loaded by name (the model file's trusted types): its module runs too.
            named = re.fullmatch(r"(pipeline(?:\.[a-z_]+)+)\.[A-Z]\w*", node.value)
            if named:
                found.add(named.group(1))
    return found


def project_closure(module: str) -> set[str]:
    """Every project file `module` imports, directly or not, relative to src/."""
    seen: set[Path] = set()
    todo = [module_file(module)]
    while todo:
        path = todo.pop()
        if path is None or path in seen:
            continue
        seen.add(path)
        todo += [module_file(name) for name in imported_modules(path)]
        # Importing pipeline.a.b runs pipeline/a/__init__.py too.
        for parent in path.relative_to(PACKAGE).parents:
            if parent.name:
                todo.append(PACKAGE / parent / "__init__.py")
    return {str(path.relative_to(PACKAGE)) for path in seen}


def test_every_stage_lists_the_modules_it_imports():
    stages = yaml.safe_load((ROOT / "dvc.yaml").read_text())["stages"]
    missing, stale = {}, {}
    for name, stage in stages.items():
        module = stage["cmd"].split("python -m ", 1)[1].split()[0]
        deps = {dep.removeprefix("src/") for dep in stage.get("deps", [])}
        needed = project_closure(module) - SHARED - {"pipeline/stages/__init__.py"}
        needed = {path for path in needed if not path.endswith("__init__.py") or path in deps}
        if needed - deps:
            missing[name] = sorted(needed - deps)
        modules = {dep for dep in deps if dep.startswith("pipeline/") and dep.endswith(".py")}
        if modules - needed:
            stale[name] = sorted(modules - needed)
    assert not missing, f"add these to the stages' deps in dvc.yaml: {missing}"
    # A module listed but not imported reruns the stage for nothing when it changes.
    assert not stale, f"remove these from the stages' deps in dvc.yaml: {stale}"


def test_the_check_sees_a_missing_module(tmp_path):
    """The closure follows imports inside functions and across packages."""
    closure = project_closure("pipeline.stages.train")
    assert "pipeline/stages/train.py" in closure
    assert "pipeline/modeling/model_file.py" in closure
