"""The Hydra config tree: every choice composes, typos fail, params.yaml is in sync.

Composed with the fixture dataset (dataset=shop, source=files), as `helpers.compose` does; the
example's dataset composes in its own tests, under tests/examples/.
"""

from __future__ import annotations

import dataclasses
import subprocess
import sys
from pathlib import Path

import pytest
import yaml
from helpers import FIXTURE_CONF, ROOT, compose, fixture_conf_dir
from hydra.errors import ConfigCompositionException
from omegaconf import OmegaConf

from pipeline.config import UNION_GROUPS, Config, DatasetConfig, load_params, select_params
from pipeline.contracts.dataset import read_column_rules


def options(folder: Path) -> list[str]:
    return sorted(option.stem for option in folder.glob("*.yaml"))


GROUPS = {
    path.name: options(path)
    for path in (ROOT / "conf").iterdir()
    # conf/local/ holds git-ignored secrets; conf/columns/ datasets' contracts (files the
    # stages read, not config groups)
    if path.is_dir() and path.name not in ("local", "columns")
}
# The fixture's dataset; the example's is composed by its own tests.
GROUPS["dataset"] = options(FIXTURE_CONF / "dataset")
# The name of each group's schema class in `Config` (the union groups' is Any).
SCHEMAS = {field.name: field.type for field in dataclasses.fields(Config)}


def schema_of(group: str, option: str) -> str:
    """The kind an option of a union group names in its defaults list (`- python_schema`)."""
    text = (fixture_conf_dir() / group / f"{option}.yaml").read_text()
    (schema,) = [d for d in yaml.safe_load(text)["defaults"] if str(d).endswith("_schema")]
    return schema.removesuffix("_schema")


@pytest.mark.parametrize(
    "override",
    [f"{group}={option}" for group, options in GROUPS.items() for option in options],
)
def test_every_option_of_every_group_composes_and_loads(override):
    cfg = compose(override)
    group, option = override.split("=")
    if group == "experiment":  # a preset changes other groups, and adds no key of its own
        assert "experiment" not in cfg and cfg != compose()
        return
    assert cfg[group] is not None
    if group in UNION_GROUPS:
        key, schemas = UNION_GROUPS[group]
        kind = schema_of(group, option)
        assert cfg[group][key] == kind
        assert isinstance(OmegaConf.to_object(cfg[group]), schemas[kind])
    else:
        assert type(OmegaConf.to_object(cfg[group])).__name__ == SCHEMAS[group]
    if group == "dataset":
        assert cfg.dataset.name == option


def test_the_framework_tests_compose_the_fixture_dataset_read_from_files():
    cfg = compose()
    assert isinstance(OmegaConf.to_object(cfg.dataset), DatasetConfig)
    assert (cfg.dataset.name, cfg.source.kind) == ("shop", "files")
    assert cfg.dataset.contracts is None
    assert list(read_column_rules(cfg.dataset.contract_file).columns) == ["customers"]
    assert cfg.source.tables == {} and cfg.paths.landing == "data/landing"


def test_every_model_choice_has_an_estimator_for_its_tasks():
    from pipeline.modeling.estimators import ESTIMATORS

    assert set(GROUPS["model"]) == {
        "logistic_regression",
        "ridge",
        "random_forest",
        "hist_gbm",
        "xgboost",
    }
    assert set(GROUPS["model"]) == set(ESTIMATORS["classification"]) | set(ESTIMATORS["regression"])


@pytest.mark.parametrize(
    ("overrides", "named"),
    [
        (["model.n_estimatorz=5"], "n_estimatorz"),  # typo of a key
        (["source.tablez={customers: a/*}"], "tablez"),  # typo of a source key
        (["source.csv.delimeter=tab"], "delimeter"),
        (["source.url=sqlite://"], "url"),  # a key of another source kind
        (["seeed=3"], "seeed"),
        (["model.max_iter=abc"], "max_iter"),  # wrong type
        (["seed=forty"], "seed"),
        (["split.method=sideways"], "expected one of [random, last_batch]"),
        (["dataset.targett=churn"], "targett"),
        (["dataset.batch.colum=year"], "colum"),
        (["dataset.task=ranking"], "task"),  # not a task the framework has
    ],
)
def test_a_wrong_override_fails_naming_the_key(overrides, named):
    with pytest.raises(ConfigCompositionException) as error:
        compose(*overrides)
    assert named in str(error.value) + str(error.value.__cause__)


def test_group_override_changes_the_whole_group():
    cfg = compose("model=random_forest", "model.max_depth=8")
    assert cfg.model.name == "random_forest"
    assert cfg.model.max_depth == 8
    assert "learning_rate" not in cfg.model


def test_committed_params_yaml_is_what_conf_composes_to():
    result = subprocess.run(
        [sys.executable, "-m", "pipeline.cli", "params", "--check"],
        cwd=ROOT,
        capture_output=True,
        text=True,
    )
    assert result.returncode == 0, result.stderr


def test_params_check_fails_when_params_yaml_is_stale(tmp_path):
    stale = tmp_path / "params.yaml"
    text = (ROOT / "params.yaml").read_text().replace("seed: 42", "seed: 7")
    stale.write_text(text)
    result = subprocess.run(
        [sys.executable, "-m", "pipeline.cli", "params", "--check", "--output", str(stale)],
        cwd=ROOT,
        capture_output=True,
        text=True,
    )
    assert result.returncode == 1
    assert "stale" in result.stderr and "make params" in result.stderr


def test_load_params_rejects_a_hand_edited_unknown_key(tmp_path):
    edited = tmp_path / "params.yaml"
    edited.write_text((ROOT / "params.yaml").read_text() + "extra_key: 1\n")
    with pytest.raises(Exception, match="extra_key"):
        load_params(edited)


def test_load_params_rejects_a_param_of_another_model(tmp_path):
    edited = tmp_path / "params.yaml"
    edited.write_text((ROOT / "params.yaml").read_text().replace("max_leaf_nodes", "max_depth"))
    with pytest.raises(Exception, match="max_depth"):
        load_params(edited)


def test_selected_params_hold_only_declared_keys_and_paths():
    cfg = load_params(ROOT / "params.yaml")
    view = select_params(cfg, ["seed", "data.current_batch"])
    assert view.seed == cfg.seed
    assert view.data.current_batch == cfg.data.current_batch
    assert view.paths.model == cfg.paths.model
    with pytest.raises(Exception, match="model"):
        _ = view.model
    with pytest.raises(Exception, match="train_window"):
        _ = view.data.train_window


def test_selecting_a_param_params_yaml_lacks_fails():
    cfg = load_params(ROOT / "params.yaml")
    with pytest.raises(KeyError, match=r"model\.no_such_param"):
        select_params(cfg, ["model.no_such_param"])


def test_dvc_config_enables_hydra_composition_from_conf():
    text = (ROOT / ".dvc" / "config").read_text()
    assert "[hydra]" in text and "enabled = true" in text
    assert Path(ROOT / "hydra_plugins" / "pipeline_schemas" / "__init__.py").exists()
