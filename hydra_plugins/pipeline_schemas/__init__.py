"""Registers the pipeline's config schemas whenever Hydra composes conf/.

Hydra imports every module under `hydra_plugins` on the search path. DVC puts the repository
root there before composing for `dvc exp run`, and `make params` does the same, so both check
overrides against the same typed schemas.
"""

from pipeline.config import register_schemas

register_schemas()
