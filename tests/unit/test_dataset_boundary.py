"""The framework knows no dataset: outside src/pipeline/examples/, no module names the example.

The same check as `grep -rIliE 'flight|weather|carrier|is_late|late_share' src/pipeline
--exclude-dir=examples`: everything about a dataset is the `dataset` config group, and the
example's own Python is reached only through dotted paths in conf/dataset/flights.yaml.
"""

from __future__ import annotations

import ast
import re

from helpers import ROOT

PACKAGE = ROOT / "src" / "pipeline"
# The example's tables, its target and the metric that was named after it.
EXAMPLE_NAMES = re.compile(r"flight|weather|carrier|is_late|late_share", re.IGNORECASE)


def framework_files() -> list:
    """Every text file of the package outside examples/ (as grep -I reads them)."""
    found = []
    for path in sorted(PACKAGE.rglob("*")):
        parts = path.relative_to(PACKAGE).parts
        if not path.is_file() or "examples" in parts[:-1] or "__pycache__" in parts:
            continue
        data = path.read_bytes()
        if b"\0" not in data:  # grep -I skips binary files
            found.append(path)
    return found


def test_the_check_reads_the_framework_modules():
    names = {path.relative_to(PACKAGE).as_posix() for path in framework_files()}
    assert {"cli.py", "config.py", "stages/ingest.py", "serving/app.py"} <= names
    assert not any(name.startswith("examples/") for name in names)


def test_no_module_outside_examples_names_the_examples_tables_or_columns():
    named = {}
    for path in framework_files():
        for number, line in enumerate(path.read_text(errors="replace").splitlines(), start=1):
            match = EXAMPLE_NAMES.search(line)
            if match:
                where = f"{path.relative_to(ROOT)}:{number}"
                named[where] = f"{match.group(0)!r} in {line.strip()[:100]}"
    assert not named, (
        "the framework names the example (move it to conf/dataset/ or src/pipeline/examples/):\n"
        + "\n".join(f"  {where}: {what}" for where, what in named.items())
    )


def test_no_module_outside_examples_imports_them():
    """So `git rm -r src/pipeline/examples` (docs/datasets.md) leaves a package that imports."""
    importing = []
    for path in framework_files():
        if path.suffix != ".py":
            continue
        for node in ast.walk(ast.parse(path.read_text())):
            names = [alias.name for alias in node.names] if isinstance(node, ast.Import) else []
            if isinstance(node, ast.ImportFrom) and node.module:
                names = [node.module] + [f"{node.module}.{alias.name}" for alias in node.names]
            if any(name.startswith("pipeline.examples") for name in names):
                importing.append(f"{path.relative_to(ROOT)}:{node.lineno}")
    assert not importing, f"framework modules import the examples: {importing}"
