"""Stage card: the model card of this commit's model (reports/model_card.md)."""

import json
from pathlib import Path

import pandas as pd
from omegaconf import DictConfig, OmegaConf

from pipeline.config import PREDICTIONS, Reports
from pipeline.io import atomic_path
from pipeline.modeling.left_out import LEFT_OUT
from pipeline.reporting.model_card import render_card
from pipeline.stages.common import run_stage


def main(params: DictConfig) -> str:
    paths, dataset = params.paths, params.dataset
    evaluation = Path(paths.evaluation)
    ingest = json.loads(Reports(paths).ingest.read_text())
    predictions = pd.read_parquet(evaluation / PREDICTIONS, columns=["split", "batch"])
    newest = predictions.loc[predictions["split"] == "current", "batch"]
    current = newest.iat[0] if len(newest) else None  # None: one batch so far
    card = render_card(
        artifact=dataset.artifact.name,
        intended_use=dataset.intended_use,
        model_file=Path(paths.model),
        params={
            "seed": params.seed,
            "model": plain(params.model),
            "task": str(dataset.task),
            "target": dataset.target,
            "classes": None if dataset.classes is None else list(dataset.classes),
            "features": plain(dataset.features),
            "derived": plain(dataset.derived),
            "split": {"method": params.split.method},
            "data": {"train_window": params.data.train_window},
            "threshold": params.evaluate.threshold,
            "min_slice_rows": params.evaluate.min_slice_rows,
        },
        ingest=ingest,
        metrics=json.loads(Reports(paths).metrics.read_text()),
        slices=pd.read_csv(evaluation / "slices_current.csv"),
        importance=pd.read_csv(Reports(paths).importance),
        current_batch=current,
        search=json.loads(Path(paths.search).read_text()),
        groups=json.loads(Reports(paths).groups.read_text()),
        comparison=json.loads(Reports(paths).comparison.read_text()),
        left_out=json.loads(Reports(paths).validation("train").read_text()).get(LEFT_OUT),
    )
    with atomic_path(paths.card) as tmp:
        tmp.write_text(card)
    return f"{paths.card} for {dataset.artifact.name} ({params.model.name})"


def plain(node) -> dict:
    """A params node as a dict of plain values."""
    return OmegaConf.to_container(node) if isinstance(node, DictConfig) else dict(node)


if __name__ == "__main__":
    run_stage("card", main)
