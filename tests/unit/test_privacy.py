"""Identifier columns are hashed with a secret salt or dropped before anything is written."""

from __future__ import annotations

import pandas as pd
import pytest

from pipeline.data.privacy import protect
from pipeline.errors import ConfigError

PRIVACY = {"drop": [], "hash": ["tailnum"], "salt_env": "TEST_PIPELINE_SALT"}


def tables() -> dict[str, pd.DataFrame]:
    flights = pd.DataFrame(
        {"tailnum": ["N14228", "N24211", None, "N14228"], "flight": [1, 2, 3, 4]}
    )
    return {"flights": flights, "weather": pd.DataFrame({"temp": [1.0]})}


def test_hashing_keeps_equality_and_nulls_and_depends_on_the_salt(monkeypatch):
    monkeypatch.setenv("TEST_PIPELINE_SALT", "one")
    first = tables()
    assert protect(first, PRIVACY) == {"dropped": [], "hashed": ["tailnum"]}
    hashed = first["flights"]["tailnum"]
    assert hashed[0] == hashed[3] and hashed[0] != hashed[1]
    assert pd.isna(hashed[2])
    assert "N14228" not in set(hashed.dropna())
    monkeypatch.setenv("TEST_PIPELINE_SALT", "two")
    second = tables()
    protect(second, PRIVACY)
    assert second["flights"]["tailnum"][0] != hashed[0]


def test_hashing_without_a_salt_stops(monkeypatch):
    monkeypatch.delenv("TEST_PIPELINE_SALT", raising=False)
    with pytest.raises(ConfigError, match=r"\$TEST_PIPELINE_SALT is not set"):
        protect(tables(), PRIVACY)


def test_dropping_removes_the_column_and_unknown_columns_are_named():
    data = tables()
    protect(data, {"drop": ["tailnum"], "hash": [], "salt_env": "X"})
    assert list(data["flights"].columns) == ["flight"]
    with pytest.raises(ConfigError, match="passport"):
        protect(tables(), {"drop": ["passport"], "hash": [], "salt_env": "X"})
