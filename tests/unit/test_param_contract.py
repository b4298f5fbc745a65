"""Each stage reads exactly the params dvc.yaml declares for it.

The stages run here in-process, in order, on the fixture dataset (its yearly files landed in
a temporary folder, with a little Python of its own so the stages that run a dataset's code
run it), each handed a recorder of the params it reads instead of the real view. Reading an
undeclared param means DVC would miss a needed rerun; declaring an unread one means needless
reruns.
"""

from __future__ import annotations

import importlib
import json
import os
import shutil
import subprocess
import sys
import types

import pytest
import yaml
from helpers import FIXTURE_BATCHES, FIXTURE_FILES, ROOT, compose
from omegaconf import DictConfig, ListConfig, OmegaConf

from pipeline.config import declared_params, select_params

STAGES = list(yaml.safe_load((ROOT / "dvc.yaml").read_text())["stages"])


class Recorder:
    """A read-only view of params that records the dotted key of every leaf it hands out,
    and of every mapping whose keys it goes through (a new key changes what the stage does)."""

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

    def _read_whole(self) -> None:
        if self._prefix:
            self._seen.add(self._prefix.removesuffix("."))

    def keys(self):
        self._read_whole()
        return self._node.keys()

    def items(self):
        self._read_whole()
        return [(name, self[name]) for name in self._node]

    def values(self):
        self._read_whole()
        return [self[name] for name in self._node]

    def __iter__(self):
        self._read_whole()
        return iter(self._node)

    def __contains__(self, name: str) -> bool:
        return name in self._node

    def get(self, name: str, default=None):
        return self[name] if name in self._node else default


def clean(tables, options):
    """A dataset's repair (`dataset.clean`): rows below the minimum tenure removed, counted."""
    customers = tables["customers"]
    kept = customers[customers["tenure_months"] >= options["min_tenure_months"]]
    return tables | {"customers": kept}, {"short_tenures_removed": len(customers) - len(kept)}


def featurize(tables, options):
    """A dataset's join (`dataset.featurize`): one table here, held to the same minimum."""
    customers = tables["customers"]
    return customers[customers["tenure_months"] >= options["min_tenure_months"]]


@pytest.fixture(scope="module")
def dataset_code():
    """This module's functions as a dataset's own Python, importable by dotted path."""
    module = types.ModuleType("param_contract_dataset")
    module.clean, module.featurize = clean, featurize
    sys.modules[module.__name__] = module
    yield module.__name__
    del sys.modules[module.__name__]


@pytest.fixture(scope="module")
def pipeline_run(tmp_path_factory, dataset_code):
    """Run every stage in order; return {stage: keys it read}."""
    cfg = compose(
        "model.max_iter=30",
        "evaluate.min_slice_rows=30",  # slices of 30 rows are worth it on 400 rows a year
        f"dataset.clean={dataset_code}.clean",
        f"dataset.featurize={dataset_code}.featurize",
        "+dataset.options.min_tenure_months=0",
    )
    workdir = tmp_path_factory.mktemp("stages")
    shutil.copy(ROOT / "dvc.yaml", workdir)  # stages run at the repository root
    shutil.copytree(FIXTURE_FILES, workdir / cfg.paths.landing / "customers")
    read: dict[str, set[str]] = {}
    cwd = os.getcwd()
    os.chdir(workdir)
    try:
        for stage in STAGES:
            module = importlib.import_module(f"pipeline.stages.{stage}")
            view = select_params(cfg, declared_params(stage, ROOT / "dvc.yaml"))
            seen: set[str] = set()
            module.main(Recorder(view, seen))
            read[stage] = {k for k in seen if k != "paths" and not k.startswith("paths.")}
    finally:
        os.chdir(cwd)
    return read, workdir, cfg


@pytest.mark.parametrize("stage", STAGES)
def test_stage_reads_every_param_it_declares(stage, pipeline_run):
    read, _, _ = pipeline_run
    for key in declared_params(stage, ROOT / "dvc.yaml"):
        assert any(used == key or used.startswith(f"{key}.") for used in read[stage]), (
            f"dvc.yaml declares {key!r} for stage {stage!r}, which never reads it"
        )


def test_stages_run_in_process_produce_metrics_for_holdout_and_current(pipeline_run):
    _, workdir, _ = pipeline_run
    metrics = json.loads((workdir / "reports" / "evaluate" / "metrics.json").read_text())
    assert metrics["holdout"]["roc_auc"] > 0.65
    newest = (FIXTURE_FILES / f"{FIXTURE_BATCHES[-1]}.csv").read_text().count("\n") - 1
    assert metrics["current"]["rows"] == newest == 400
    ingest = json.loads((workdir / "reports" / "validation" / "ingest.json").read_text())
    assert [entry["batch"] for entry in ingest["batches"]] == FIXTURE_BATCHES
    validate = json.loads((workdir / "reports" / "validation" / "validate.json").read_text())
    assert validate["repairs"] == {"short_tenures_removed": 0}  # the dataset's code ran


def test_a_stage_reading_an_undeclared_param_fails_naming_it(tmp_path, pipeline_run):
    """A real stage process whose dvc.yaml entry lacks a param it reads exits with the key."""
    _, workdir, cfg = pipeline_run
    shutil.copytree(workdir / "data", tmp_path / "data")
    dvc_yaml = yaml.safe_load((ROOT / "dvc.yaml").read_text())
    dvc_yaml["stages"]["train"]["params"].remove("model")
    (tmp_path / "dvc.yaml").write_text(yaml.safe_dump(dvc_yaml))
    OmegaConf.save(cfg, tmp_path / "params.yaml")  # the fixture's params, as composed
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
    view = Recorder(OmegaConf.create({"a": {"b": 1, "c": [1, 2]}, "d": {"e": {"f": 2}}}), seen)
    assert view.a.b == 1 and view["a"]["c"] == [1, 2]
    assert seen == {"a.b", "a.c"}
    assert list(dict(view.d)) == ["e"]  # going through a mapping's keys reads it
    assert seen == {"a.b", "a.c", "d"}
