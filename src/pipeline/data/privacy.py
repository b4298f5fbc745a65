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
    salt = salt_for(privacy, {column for frame in tables.values() for column in frame.columns})
    for name, frame in tables.items():
        tables[name] = apply(frame, privacy, salt)
    return summary(privacy)


def salt_for(privacy: Mapping, present: set[str]) -> str | None:
    """The salt to hash with (None when nothing is hashed), after checking that every listed
    column is in some table."""
    listed = set(privacy["drop"]) | set(privacy["hash"])
    unknown = sorted(listed - present)
    if unknown:
        raise ConfigError(f"privacy lists column(s) {unknown} that no table has")
    if not privacy["hash"]:
        return None
    salt = secret(privacy["salt_env"])
    if not salt:
        raise ConfigError(
            f"privacy.hash lists {list(privacy['hash'])} but ${privacy['salt_env']} is not "
            "set (environment or conf/local/secrets.yaml): refusing to hash without a salt"
        )
    return salt


def apply(frame: pd.DataFrame, privacy: Mapping, salt: str | None) -> pd.DataFrame:
    """One table (or part of one) with the listed columns hashed and dropped."""
    for column in privacy["hash"]:
        if column in frame.columns:
            frame[column] = hash_values(frame[column], salt)
    return frame.drop(columns=[c for c in privacy["drop"] if c in frame.columns])


def summary(privacy: Mapping) -> dict[str, list[str]]:
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
