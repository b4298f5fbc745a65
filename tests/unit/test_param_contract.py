"""Each stage reads exactly the params dvc.yaml declares for it.

The stages run here in-process, in order, on three real months in a temporary folder, each
handed a recorder of the params it reads instead of the real view. Reading an undeclared
param means DVC would miss a needed rerun; declaring an unread one means needless reruns.
"""

from __future__ import annotations

import importlib
import json
import os
import shutil
import subprocess
import sys

import pytest
import yaml
from helpers import ROOT, SMALL_BATCHES, compose
from omegaconf import DictConfig, ListConfig, OmegaConf

from pipeline.config import declared_params, select_params

STAGES = list(yaml.safe_load((ROOT / "dvc.yaml").read_text())["stages"])


class Recorder:
    """A read-only view of params that records the dotted key of every leaf it hands out."""

    def __init__(self, node: DictConfig, seen: set[str], prefix: str = ""):
        self._node, self._seen, self._prefix = node, seen, prefix

    def __getattr__(self, name: str):
        return self[name]

    def __getitem__(self, name: str):
        key = f"{self._prefix}{name}"
        value = self._node[name]
        if isinstance(value, DictConfig):
            return Recorder(value, self._seen, f"{key}.")
        self._seen.add(key)
        return list(value) if isinstance(value, ListConfig) else value

    def keys(self):
        return self._node.keys()

    def __iter__(self):
        return iter(self._node)

    def __contains__(self, name: str) -> bool:
        return name in self._node

    def get(self, name: str, default=None):
        return self[name] if name in self._node else default


@pytest.fixture(scope="module")
def pipeline_run(tmp_path_factory):
    """Run every stage in order; return {stage: keys it read}."""
    cfg = compose(f"source.batches=[{','.join(SMALL_BATCHES)}]", "model.max_iter=30")
    workdir = tmp_path_factory.mktemp("stages")
    shutil.copy(ROOT / "dvc.yaml", workdir)  # stages run at the repository root
    read: dict[str, set[str]] = {}
    cwd = os.getcwd()
    os.chdir(workdir)
    try:
        for stage in STAGES:
            module = importlib.import_module(f"pipeline.stages.{stage}")
            view = select_params(cfg, declared_params(stage, ROOT / "dvc.yaml"))
            seen: set[str] = set()
            module.main(Recorder(view, seen))
            read[stage] = {key for key in seen if not key.startswith("paths.")}
    finally:
        os.chdir(cwd)
    return read, workdir


@pytest.mark.parametrize("stage", STAGES)
def test_stage_reads_every_param_it_declares(stage, pipeline_run):
    read, _ = pipeline_run
    for key in declared_params(stage, ROOT / "dvc.yaml"):
        assert any(used == key or used.startswith(f"{key}.") for used in read[stage]), (
            f"dvc.yaml declares {key!r} for stage {stage!r}, which never reads it"
        )


def test_stages_run_in_process_produce_metrics_for_holdout_and_current(pipeline_run):
    _, workdir = pipeline_run
    metrics = json.loads((workdir / "reports" / "evaluate" / "metrics.json").read_text())
    assert metrics["holdout"]["roc_auc"] > 0.65
    assert metrics["current"]["rows"] > 20_000


def test_a_stage_reading_an_undeclared_param_fails_naming_it(tmp_path, pipeline_run):
    """A real stage process whose dvc.yaml entry lacks a param it reads exits with the key."""
    _, workdir = pipeline_run
    shutil.copytree(workdir / "data", tmp_path / "data")
    dvc_yaml = yaml.safe_load((ROOT / "dvc.yaml").read_text())
    dvc_yaml["stages"]["train"]["params"].remove("model")
    (tmp_path / "dvc.yaml").write_text(yaml.safe_dump(dvc_yaml))
    (tmp_path / "params.yaml").write_text((ROOT / "params.yaml").read_text())
    result = subprocess.run(
        [sys.executable, "-m", "pipeline.stages.train"],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 1
    assert "reads param 'model'" in result.stderr
    assert "stages.train.params" in result.stderr
    assert not (tmp_path / "models").exists()


def test_recorder_sees_nested_reads():
    seen: set[str] = set()
    view = Recorder(OmegaConf.create({"a": {"b": 1, "c": [1, 2]}}), seen)
    assert view.a.b == 1 and view["a"]["c"] == [1, 2]
    assert seen == {"a.b", "a.c"}
