"""Secrets (database URLs with passwords, hashing salts) never sit in conf/ or params.yaml.

They come from the environment, or from conf/local/secrets.yaml, which git ignores:

    # conf/local/secrets.yaml
    PIPELINE_SQL_URL: postgresql+psycopg://me:password@db.internal/warehouse
"""

from __future__ import annotations

import os
from pathlib import Path

import yaml

from pipeline.errors import ConfigError

LOCAL_SECRETS = Path("conf/local/secrets.yaml")


def secret(name: str, local_file: Path = LOCAL_SECRETS) -> str | None:
    """The value of `name` from the environment first, then the local secrets file."""
    if os.environ.get(name):
        return os.environ[name]
    if not local_file.exists():
        return None
    values = yaml.safe_load(local_file.read_text()) or {}
    if not isinstance(values, dict):
        raise ConfigError(f"{local_file}: expected `NAME: value` lines")
    value = values.get(name)
    return None if value is None else str(value)
