"""The example's dataset composes from conf/ and every dotted path it names resolves."""

from __future__ import annotations

import pytest
from helpers import ROOT, compose
from omegaconf import OmegaConf

from pipeline.config import DatasetConfig
from pipeline.contracts.dataset import load_contracts, model_input
from pipeline.data.sources import TableSet
from pipeline.examples.flights.schemas import CONTRACTS
from pipeline.modeling.derived import check_derived, input_columns
from pipeline.plugins import load_object


@pytest.mark.parametrize(
    ("source", "kind"), [("example", "python"), ("files", "files"), ("sql", "sql")]
)
def test_the_example_dataset_composes_with_every_source(source, kind):
    cfg = compose("dataset=flights", f"source={source}", example=True)
    assert isinstance(OmegaConf.to_object(cfg.dataset), DatasetConfig)
    assert (cfg.dataset.name, cfg.source.kind) == ("flights", kind)
    if source == "sql":
        assert cfg.source.url == "sqlite:///data/landing/flights.sqlite"


def test_the_committed_default_is_the_example_read_by_its_package_reader(example_params):
    assert example_params.dataset.name == "flights"
    assert example_params.source.kind == "python"
    reader = load_object(example_params.source.reader, "source.reader")
    assert reader.__module__ == "pipeline.examples.flights.package"


def test_every_dotted_path_of_the_example_resolves(example_params):
    dataset = example_params.dataset
    assert load_contracts(dataset) is CONTRACTS
    for key in ("clean", "featurize", "new_batch"):
        assert callable(load_object(dataset[key], f"dataset.{key}"))
    assert (ROOT / dataset.code).is_dir()  # the stages that run its Python depend on it
    assert TableSet.of(dataset) == TableSet(["flights", "weather"], "flights", "batch")


def test_the_model_inputs_and_slices_are_in_the_features_contract(example_params):
    dataset = example_params.dataset
    check_derived(dataset.derived)
    inputs = input_columns(
        list(dataset.features.categorical), list(dataset.features.numeric), dataset.derived
    )
    assert list(model_input(CONTRACTS.features, inputs).columns) == inputs
    assert set(dataset.slices) <= set(CONTRACTS.features.columns)
    assert dataset.target in CONTRACTS.features.columns
    assert set(dataset.id_columns) <= set(CONTRACTS.raw[dataset.batch.table].columns)
