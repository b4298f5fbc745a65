"""Stage train: fit the configured sklearn pipeline on the raw input columns; save it (skops).

A feature the training rows cannot teach (no values, or one value in every row) is left out
of this run's model; train.json names it and why, under "left_out" (modeling/left_out.py).
"""

import time

from omegaconf import DictConfig

from pipeline.config import Reports
from pipeline.contracts.apply import conclude
from pipeline.contracts.dataset import load_contracts, model_input
from pipeline.contracts.partitioned import check_parts
from pipeline.engine.runner import runner_for
from pipeline.errors import ConfigError
from pipeline.io import write_json
from pipeline.modeling import model_file
from pipeline.modeling.fitting import fit_model
from pipeline.modeling.inputs import input_columns
from pipeline.modeling.left_out import LEFT_OUT, described
from pipeline.stages.common import run_stage


def main(params: DictConfig) -> str:
    dataset, paths = params.dataset, params.paths
    if str(dataset.task) == "multiclass" and not dataset.classes:
        raise ConfigError(
            "dataset.task=multiclass needs dataset.classes: the target's labels as they appear "
            "in the data, in the order the model numbers them (init writes them)"
        )
    inputs = input_columns(
        list(dataset.features.categorical), list(dataset.features.numeric), dataset.derived
    )
    report_file = Reports(paths).validation("train")
    schema = model_input(load_contracts(dataset).features, inputs)
    with runner_for(params.engine) as runner:
        table = check_parts(schema, paths.train, paths.train, run=runner.run)
        report = conclude([table], report_file, None)
        started = time.perf_counter()
        fitted = fit_model(runner, params, inputs)
        fit_seconds = time.perf_counter() - started
    if dataset.classes is not None:  # the API answers the labels as they appear in the data
        fitted.pipeline.class_labels_ = list(dataset.classes)
    model_file.save(fitted.pipeline, paths.model)
    write_json(fitted.searched, paths.search)
    write_json(report | {LEFT_OUT: fitted.left}, report_file)
    found = (
        f", best of {fitted.searched['candidates']} by search"
        if "candidates" in fitted.searched
        else ""
    )
    without = f"; left out {described(fitted.left)}" if fitted.left else ""
    return (
        f"{params.model.name} fitted on {fitted.rows:,} rows{fitted.where} in {fit_seconds:.1f}s"
        f"{found}{without}"
    )


if __name__ == "__main__":
    run_stage("train", main)
