"""Every model choice fits, saves deterministically and loads only through the allow-list.

On the fixture's features: the model takes the raw input columns (`signup_hhmm`) and derives
its features (`signup_hour`) inside.
"""

from __future__ import annotations

import zipfile

import numpy as np
import pytest
import skops.io as sio
from helpers import compose
from sklearn.metrics import roc_auc_score
from sklearn.preprocessing import FunctionTransformer
from threadpoolctl import threadpool_limits

from pipeline.errors import UntrustedModelError
from pipeline.modeling import estimators as model
from pipeline.modeling import model_file
from pipeline.modeling.derived import input_columns

SMALL = {
    "logistic_regression": ["model.max_iter=300"],
    "random_forest": ["model.n_estimators=20", "model.max_depth=8"],
    "hist_gbm": ["model.max_iter=40"],
}


@pytest.fixture(scope="module")
def splits(shop_splits):
    return shop_splits


def _fitted(name, splits):
    cfg = compose(f"model={name}", *SMALL[name])
    dataset = cfg.dataset
    categorical, numeric = list(dataset.features.categorical), list(dataset.features.numeric)
    pipeline = model.build_pipeline(cfg.model, categorical, numeric, cfg.seed, dataset.derived)
    inputs = input_columns(categorical, numeric, dataset.derived)
    return model.fit(pipeline, splits.train, inputs, dataset.target), inputs


@pytest.mark.parametrize("name", sorted(SMALL))
def test_model_learns_saves_and_loads_with_identical_predictions(name, splits, tmp_path):
    pipeline, columns = _fitted(name, splits)
    path = tmp_path / "model.skops"
    model_file.save(pipeline, path)
    loaded = model_file.load(path)
    before = pipeline.predict_proba(splits.holdout[columns])[:, 1]
    after = loaded.predict_proba(splits.holdout[columns])[:, 1]
    np.testing.assert_array_equal(before, after)
    assert roc_auc_score(splits.holdout["churned"], after) > 0.65
    # A newest batch may bring categories training never saw: they must not crash scoring.
    unseen = splits.current[columns].copy()
    unseen.loc[unseen.index[:50], "region"] = "central"
    unseen.loc[unseen.index[25:75], "plan"] = "enterprise"
    scores = loaded.predict_proba(unseen)
    assert np.isfinite(scores).all() and len(scores) == len(unseen)


@pytest.mark.parametrize("name", sorted(SMALL))
def test_same_seed_gives_byte_identical_model_files(name, splits, tmp_path):
    for run in ("a", "b"):
        pipeline, _ = _fitted(name, splits)
        model_file.save(pipeline, tmp_path / f"{run}.skops")
    assert (tmp_path / "a.skops").read_bytes() == (tmp_path / "b.skops").read_bytes()


def test_the_model_file_is_the_same_on_machines_with_other_core_counts(splits, tmp_path):
    for threads in (1, 2):
        with threadpool_limits(limits=threads, user_api="openmp"):
            pipeline, _ = _fitted("hist_gbm", splits)
        model_file.save(pipeline, tmp_path / f"{threads}.skops")
    assert (tmp_path / "1.skops").read_bytes() == (tmp_path / "2.skops").read_bytes()


def test_a_file_with_a_type_outside_the_allow_list_is_refused(tmp_path):
    path = tmp_path / "evil.skops"
    path.write_bytes(sio.dumps(FunctionTransformer(func=np.frompyfunc)))
    with pytest.raises(UntrustedModelError, match="outside the allow-list"):
        model_file.load(path)


def test_a_corrupt_model_file_is_refused(tmp_path, splits):
    pipeline, _ = _fitted("hist_gbm", splits)
    path = tmp_path / "model.skops"
    model_file.save(pipeline, path)
    path.write_bytes(path.read_bytes()[:200])
    with pytest.raises(UntrustedModelError, match="not a readable skops model"):
        model_file.load(path)


def test_saved_model_is_a_zip_with_fixed_timestamps(tmp_path, splits):
    pipeline, _ = _fitted("logistic_regression", splits)
    model_file.save(pipeline, tmp_path / "m.skops")
    with zipfile.ZipFile(tmp_path / "m.skops") as archive:
        assert {info.date_time for info in archive.infolist()} == {(1980, 1, 1, 0, 0, 0)}
