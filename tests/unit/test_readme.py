"""The README's stage graph is what `dvc dag` draws for dvc.yaml."""

from __future__ import annotations

import re

from helpers import ROOT, run


def test_the_readme_draws_the_real_stage_graph():
    drawn = re.search(r"```mermaid\n.*?```", (ROOT / "README.md").read_text(), re.S)
    assert drawn, "README.md has no mermaid stage graph"
    real = run(["dvc", "dag", "--md"], ROOT).stdout.strip()
    assert drawn.group(0).strip() == real, "the graph changed: paste `dvc dag --md` into README.md"
