"""The model file: skops, byte-identical for equal models, loaded through an allow-list."""

from __future__ import annotations

import io
import json
import zipfile
from pathlib import Path
from typing import TYPE_CHECKING

from pipeline.errors import UntrustedModelError
from pipeline.io import write_bytes

if TYPE_CHECKING:
    from sklearn.pipeline import Pipeline

# Types a model file may hold beyond the scikit-learn and numpy types skops already deems safe.
# skops refuses anything else, so a tampered or foreign file fails to load instead of running
# code. Adding a model kind may need a line here: `skops.io.get_untrusted_types(file=...)`.
TRUSTED_TYPES = [
    # the model's first step: derived columns from a fixed vocabulary of operations
    "pipeline.modeling.derived.DerivedColumns",
    # hist_gbm keeps a partial(check_array, ...) to prepare its categorical input
    "functools.partial",
    "sklearn.utils.validation.check_array",
    "numpy.dtype",
    "sklearn.ensemble._hist_gradient_boosting.predictor.TreePredictor",
    "sklearn.tree._tree.Tree",
    # xgboost: the estimator, and its booster, whose state is XGBoost's own model format
    # (UBJSON bytes, parsed by XGBoost's loader, never unpickled)
    "xgboost.sklearn.XGBClassifier",
    "xgboost.sklearn.XGBRegressor",
    "xgboost.core.Booster",
]


def _canonical_skops(data: bytes) -> bytes:
    """Rewrite a skops file so equal models give byte-identical files.

    skops names objects and array files by their memory address (`id()`), other files by a
    random UUID, and stamps zip entries with the current time; all change from run to run.
    Names are renumbered in the order they appear and timestamps fixed, which keeps the file
    loadable as before.
    """
    with zipfile.ZipFile(io.BytesIO(data)) as source:
        schema = json.loads(source.read("schema.json"))
        renumbered: dict[str, str] = {}

        def new_id(old: object) -> str:
            return renumbered.setdefault(str(old), str(len(renumbered)))

        def renamed(name: str) -> str:
            # array files are named by an address, XGBoost's booster bytes by a random UUID
            stem, dot, suffix = name.partition(".")
            return new_id(stem) + dot + suffix

        def walk(node: object) -> object:
            if isinstance(node, list):
                return [walk(item) for item in node]
            if not isinstance(node, dict):
                return node
            out = {}
            for key, value in node.items():
                if key == "__id__" and isinstance(value, int):
                    out[key] = int(new_id(value))
                elif key == "file" and isinstance(value, str):
                    out[key] = renamed(value)
                else:
                    out[key] = walk(value)
            return out

        schema = walk(schema)
        files = {"schema.json": json.dumps(schema, indent=2).encode()}
        for name in source.namelist():
            if name != "schema.json":
                files[renamed(name)] = source.read(name)
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
