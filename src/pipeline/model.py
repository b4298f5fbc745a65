"""The estimator: built from config, fitted, saved with skops, loaded through an allow-list."""

from __future__ import annotations

import io
import json
import re
import zipfile
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
from sklearn.compose import ColumnTransformer
from sklearn.ensemble import HistGradientBoostingClassifier, RandomForestClassifier
from sklearn.impute import SimpleImputer
from sklearn.linear_model import LogisticRegression
from sklearn.pipeline import Pipeline
from sklearn.preprocessing import OneHotEncoder, OrdinalEncoder, StandardScaler

from pipeline.errors import ConfigError, UntrustedModelError
from pipeline.io import write_bytes

# Types a model file may hold beyond the scikit-learn and numpy types skops already deems safe.
# skops refuses anything else, so a tampered or foreign file fails to load instead of running
# code. Adding a model kind may need a line here: `skops.io.get_untrusted_types(file=...)`.
TRUSTED_TYPES = [
    # hist_gbm keeps a partial(check_array, ...) to prepare its categorical input
    "functools.partial",
    "sklearn.utils.validation.check_array",
    "numpy.dtype",
    "sklearn.ensemble._hist_gradient_boosting.predictor.TreePredictor",
    "sklearn.tree._tree.Tree",
]


_ID_FILE = re.compile(r"^(\d+)(\.\w+)$")


def _estimator(model: Any, categorical: list[str], seed: int):
    params = {key: value for key, value in dict(model).items() if key != "name"}
    if model.name == "logistic_regression":
        return LogisticRegression(random_state=seed, **params)
    if model.name == "random_forest":
        return RandomForestClassifier(random_state=seed, **params)
    if model.name == "hist_gbm":
        return HistGradientBoostingClassifier(
            random_state=seed, early_stopping=False, categorical_features=categorical, **params
        )
    raise ConfigError(f"model.name={model.name!r} has no estimator")


def _preprocessing(
    model_name: str, categorical: list[str], numeric: list[str]
) -> ColumnTransformer:
    if model_name == "logistic_regression":
        cat = OneHotEncoder(handle_unknown="ignore", min_frequency=20, sparse_output=False)
        num = Pipeline([("impute", SimpleImputer(strategy="median")), ("scale", StandardScaler())])
    elif model_name == "hist_gbm":
        # Categories unseen in training (a new destination) become missing values.
        cat = OrdinalEncoder(handle_unknown="use_encoded_value", unknown_value=np.nan)
        num = "passthrough"
    else:
        cat = OrdinalEncoder(
            handle_unknown="use_encoded_value", unknown_value=-1, encoded_missing_value=-1
        )
        num = SimpleImputer(strategy="median")
    transformer = ColumnTransformer(
        [("categorical", cat, categorical), ("numeric", num, numeric)],
        verbose_feature_names_out=False,
    )
    if model_name == "hist_gbm":
        # Keep column names so the booster finds its categorical columns by name and splits
        # on them natively (codes 0..k-1; unseen categories are NaN, i.e. missing).
        transformer.set_output(transform="pandas")
    return transformer


def build_pipeline(model: Any, categorical: list[str], numeric: list[str], seed: int) -> Pipeline:
    """Preprocessing and estimator for the configured model, seeded."""
    return Pipeline(
        [
            ("preprocess", _preprocessing(model.name, categorical, numeric)),
            ("estimator", _estimator(model, categorical, seed)),
        ]
    )


def fit(pipeline: Pipeline, frame: pd.DataFrame, columns: list[str], target: str) -> Pipeline:
    """Fit on `columns` of `frame`; the fitted model then predicts on one thread.

    A forest summing tree outputs across threads adds them in a varying order, so scores
    differ in the last bits from run to run; one thread keeps every score reproducible.
    """
    pipeline.fit(frame[columns], frame[target])
    return fit_done(pipeline)


def fit_done(pipeline: Pipeline) -> Pipeline:
    """A fitted model predicts on one thread (see `fit`), and its file is the same on any machine.

    Gradient boosting's fitted binner keeps the number of OpenMP threads it was fitted with;
    that number would make the saved file, and its hash in dvc.lock, differ between machines
    with different core counts. Binning is done by then and predictions do not read it.
    """
    estimator = pipeline.named_steps["estimator"]
    if "n_jobs" in estimator.get_params():
        estimator.set_params(n_jobs=1)
    binner = getattr(estimator, "_bin_mapper", None)
    if binner is not None:
        binner.n_threads = None
    return pipeline


def _canonical_skops(data: bytes) -> bytes:
    """Rewrite a skops file so equal models give byte-identical files.

    skops names objects and array files by their memory address (`id()`) and stamps zip
    entries with the current time; both change from run to run. Addresses are renumbered in
    the order they appear and timestamps fixed, which keeps the file loadable as before.
    """
    with zipfile.ZipFile(io.BytesIO(data)) as source:
        schema = json.loads(source.read("schema.json"))
        renumbered: dict[str, str] = {}

        def new_id(old: object) -> str:
            return renumbered.setdefault(str(old), str(len(renumbered)))

        def walk(node: object) -> object:
            if isinstance(node, list):
                return [walk(item) for item in node]
            if not isinstance(node, dict):
                return node
            out = {}
            for key, value in node.items():
                if key == "__id__" and isinstance(value, int):
                    out[key] = int(new_id(value))
                elif key == "file" and isinstance(value, str) and (match := _ID_FILE.match(value)):
                    out[key] = new_id(match.group(1)) + match.group(2)
                else:
                    out[key] = walk(value)
            return out

        schema = walk(schema)
        files = {"schema.json": json.dumps(schema, indent=2).encode()}
        for name in source.namelist():
            if (match := _ID_FILE.match(name)) is not None:
                files[new_id(match.group(1)) + match.group(2)] = source.read(name)
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as target:
        for name in sorted(files):
            info = zipfile.ZipInfo(name, date_time=(1980, 1, 1, 0, 0, 0))
            info.compress_type = zipfile.ZIP_DEFLATED
            target.writestr(info, files[name])
    return out.getvalue()


def save(pipeline: Pipeline, path: str | Path) -> None:
    import skops.io as sio

    write_bytes(_canonical_skops(sio.dumps(pipeline)), path)


def load(path: str | Path) -> Pipeline:
    """Load a model file, refusing it when it holds any type outside TRUSTED_TYPES."""
    import skops.io as sio

    data = Path(path).read_bytes()
    try:
        untrusted = sorted(set(sio.get_untrusted_types(data=data)) - set(TRUSTED_TYPES))
    except Exception as error:
        raise UntrustedModelError(f"{path}: not a readable skops model file ({error})") from error
    if untrusted:
        raise UntrustedModelError(
            f"{path}: refusing to load types outside the allow-list: {untrusted}"
        )
    return sio.loads(data, trusted=TRUSTED_TYPES)
