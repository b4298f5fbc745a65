"""Identifier columns are hashed with a secret salt or dropped before anything is written."""

from __future__ import annotations

import pandas as pd
import pytest
from helpers import compose

from pipeline.data.privacy import protect
from pipeline.errors import ConfigError

PRIVACY = {"drop": [], "hash": ["customer_id"], "salt_env": "TEST_PIPELINE_SALT"}


def tables() -> dict[str, pd.DataFrame]:
    customers = pd.DataFrame(
        {"customer_id": ["C-101", "C-202", None, "C-101"], "plan": ["pro", "basic", "pro", "team"]}
    )
    return {"customers": customers, "plans": pd.DataFrame({"plan": ["pro"], "price": [19.0]})}


def test_hashing_keeps_equality_and_nulls_and_depends_on_the_salt(monkeypatch):
    monkeypatch.setenv("TEST_PIPELINE_SALT", "one")
    first = tables()
    assert protect(first, PRIVACY) == {"dropped": [], "hashed": ["customer_id"]}
    hashed = first["customers"]["customer_id"]
    assert hashed[0] == hashed[3] and hashed[0] != hashed[1]
    assert pd.isna(hashed[2])
    assert "C-101" not in set(hashed.dropna())
    assert first["plans"].equals(tables()["plans"])  # a table without the column is untouched
    monkeypatch.setenv("TEST_PIPELINE_SALT", "two")
    second = tables()
    protect(second, PRIVACY)
    assert second["customers"]["customer_id"][0] != hashed[0]


def test_hash_ids_hashes_the_datasets_id_columns(monkeypatch, shop_raw):
    """privacy=hash_ids takes its columns from dataset.id_columns: the fixture's customer_id."""
    privacy = compose("privacy=hash_ids", "privacy.salt_env=TEST_PIPELINE_SALT").privacy
    assert list(privacy.hash) == ["customer_id"]
    monkeypatch.setenv("TEST_PIPELINE_SALT", "one")
    data = {"customers": shop_raw.copy()}
    protect(data, privacy)
    ids = data["customers"]["customer_id"]
    assert ids.str.fullmatch(r"[0-9a-f]{16}").all()
    assert ids.nunique() == shop_raw["customer_id"].nunique()  # joins and counts still work
    others = data["customers"].drop(columns="customer_id")
    assert others.equals(shop_raw.drop(columns="customer_id"))


def test_hashing_without_a_salt_stops(monkeypatch):
    monkeypatch.delenv("TEST_PIPELINE_SALT", raising=False)
    with pytest.raises(ConfigError, match=r"\$TEST_PIPELINE_SALT is not set"):
        protect(tables(), PRIVACY)


def test_dropping_removes_the_column_and_unknown_columns_are_named():
    data = tables()
    protect(data, {"drop": ["customer_id"], "hash": [], "salt_env": "X"})
    assert list(data["customers"].columns) == ["plan"]
    with pytest.raises(ConfigError, match="passport"):
        protect(tables(), {"drop": ["passport"], "hash": [], "salt_env": "X"})
