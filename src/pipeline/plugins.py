"""A dataset's own Python, reached by the dotted paths its config names (never imported here)."""

from __future__ import annotations

import importlib
from typing import Any

from pipeline.errors import ConfigError


def load_object(dotted: str, key: str) -> Any:
    """The object at `package.module.name`; `key` names the config key for the error."""
    module_name, _, name = dotted.rpartition(".")
    try:
        return getattr(importlib.import_module(module_name), name)
    except (ImportError, AttributeError, ValueError) as error:
        raise ConfigError(f"{key}={dotted!r}: cannot import it ({error})") from None
