"""Identifier columns removed or hashed before ingest writes anything."""

from __future__ import annotations

import hashlib
import hmac
from collections.abc import Mapping

import pandas as pd

from pipeline.errors import ConfigError
from pipeline.secrets import secret


def protect(tables: dict[str, pd.DataFrame], privacy: Mapping) -> dict[str, list[str]]:
    """Drop and hash the listed columns in place; return what was done, per action."""
    listed = set(privacy["drop"]) | set(privacy["hash"])
    present = {column for frame in tables.values() for column in frame.columns}
    unknown = sorted(listed - present)
    if unknown:
        raise ConfigError(f"privacy lists column(s) {unknown} that no table has")
    salt = None
    if privacy["hash"]:
        salt = secret(privacy["salt_env"])
        if not salt:
            raise ConfigError(
                f"privacy.hash lists {list(privacy['hash'])} but ${privacy['salt_env']} is not "
                "set (environment or conf/local/secrets.yaml): refusing to hash without a salt"
            )
    for name, frame in tables.items():
        for column in privacy["hash"]:
            if column in frame.columns:
                frame[column] = hash_values(frame[column], salt)
        tables[name] = frame.drop(columns=[c for c in privacy["drop"] if c in frame.columns])
    return {"dropped": sorted(privacy["drop"]), "hashed": sorted(privacy["hash"])}


def hash_values(values: pd.Series, salt: str) -> pd.Series:
    """HMAC-SHA256 of each value, 16 hex digits; missing values stay missing."""
    key = salt.encode()
    codes, uniques = pd.factorize(values, use_na_sentinel=True)
    digests = pd.array(
        [hmac.new(key, str(u).encode(), hashlib.sha256).hexdigest()[:16] for u in uniques],
        dtype="str",
    )
    return pd.Series(digests.take(codes, allow_fill=True), index=values.index)
