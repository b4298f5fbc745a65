"""The request schema turns the contract's rules into API limits, on a model `dvc repro` trained.

A test-local variant of the fixture dataset, in the temporary repository only: its table has
one more column, `autopay`, a number declared with `values: [0, 1]` (an allowed set, not a
range) and used as a feature. A client sending 5.0 or 1e308 there must get a 422, as must one
sending a number outside a declared range (min/max) or a number that is not finite.
"""

from __future__ import annotations

import json
from pathlib import Path

import pandas as pd
import pytest
import yaml
from helpers import FIXTURE_BATCHES, FIXTURE_CONF, FIXTURE_FILES, commit, make_repo, run
from server import call, start_server

from pipeline.modeling.model_file import load as load_model

pytestmark = [pytest.mark.slow, pytest.mark.server]

SET_COLUMN = "autopay"


def with_autopay() -> dict[str, dict]:
    """The fixture's dataset config and contract, with the 0/1 column declared and used as
    a feature."""
    dataset = yaml.safe_load((FIXTURE_CONF / "dataset" / "shop.yaml").read_text())
    rules = yaml.safe_load((FIXTURE_CONF / "columns" / "shop.yaml").read_text())
    rules["columns"]["customers"][SET_COLUMN] = {"type": "float", "values": [0, 1]}
    dataset["features"]["numeric"].append(SET_COLUMN)
    return {
        "dataset/shop.yaml": {"features": dataset["features"]},
        "columns/shop.yaml": {"columns": rules["columns"]},
    }


@pytest.fixture(scope="module")
def repo(tmp_path_factory) -> Path:
    repo = make_repo(
        tmp_path_factory.mktemp("limits") / "repo",
        with_autopay(),
        landed=0,
    )
    landing = repo / "data/landing/customers"
    for batch in FIXTURE_BATCHES:
        customers = pd.read_csv(FIXTURE_FILES / f"{batch}.csv")
        customers[SET_COLUMN] = (customers["customer_id"] % 3 == 0).astype(int)
        customers.to_csv(landing / f"{batch}.csv", index=False)
    run(["dvc", "add", "data/landing"], repo)
    commit(repo, "customers with autopay")
    run(["dvc", "repro", "train"], repo)  # the model and its data: what the server reads
    return repo


@pytest.fixture(scope="module")
def server(repo, tmp_path_factory):
    log_file = tmp_path_factory.mktemp("log") / "requests.jsonl"
    process, base = start_server(repo / "models/model.skops", log_file, cwd=repo)
    yield base
    process.terminate()
    process.wait(timeout=30)


@pytest.fixture(scope="module")
def good(repo) -> dict:
    """One real row of the newest batch, as a client sends it (its raw input columns)."""
    inputs = list(load_model(repo / "models/model.skops").feature_names_in_)
    row = pd.read_parquet(repo / "data/processed/current.parquet")[inputs].head(1)
    return json.loads(row.to_json(orient="records"))[0]


def answer(base: str, row: dict) -> tuple[int, dict]:
    # json.dumps writes inf and nan as Infinity and NaN, which Python's JSON reader accepts.
    return call(base, "/predict", json.dumps({"rows": [row]}).encode())


def test_the_model_was_trained_on_the_set_column(repo):
    features = pd.read_parquet(repo / "data/processed/train.parquet")
    assert set(features[SET_COLUMN]) == {0, 1}
    assert SET_COLUMN in load_model(repo / "models/model.skops").feature_names_in_


def test_the_api_docs_state_the_allowed_set_and_the_ranges(server):
    spec = call(server, "/openapi.json")[1]
    row = spec["components"]["schemas"]["Customer"]["properties"]
    assert row[SET_COLUMN]["enum"] == [0, 1]
    assert (row["tenure_months"]["minimum"], row["tenure_months"]["maximum"]) == (0, 600)
    spend = next(kind for kind in row["monthly_spend"]["anyOf"] if kind["type"] == "number")
    assert (spend["minimum"], spend["maximum"]) == (0, 100000)


@pytest.mark.parametrize("value", [0, 1, 0.0, 1.0])
def test_a_value_in_the_set_is_scored(server, good, value):
    status, body = answer(server, good | {SET_COLUMN: value})
    assert status == 200, body
    assert 0 <= body["predictions"][0]["probability"] <= 1


@pytest.mark.parametrize(
    ("column", "value"),
    [
        (SET_COLUMN, 5.0),  # not in the set
        (SET_COLUMN, 1e308),  # finite, far out
        (SET_COLUMN, 0.5),
        (SET_COLUMN, -1),
        ("tenure_months", 601),  # over the declared max
        ("tenure_months", -1),  # under the declared min
        ("tenure_months", 1e308),
        ("monthly_spend", 1e308),
        ("monthly_spend", -0.01),
        ("support_calls", 1001),
        ("signup_hhmm", 2360),
    ],
)
def test_a_value_outside_the_contract_is_refused_with_422(server, good, column, value):
    status, body = answer(server, good | {column: value})
    assert status == 422, body
    assert column in json.dumps(body)


@pytest.mark.parametrize("value", [float("inf"), float("-inf"), float("nan")])
@pytest.mark.parametrize("column", ["monthly_spend", SET_COLUMN, "tenure_months"])
def test_a_number_that_is_not_finite_is_refused_with_422(server, good, column, value):
    status, body = answer(server, good | {column: value})
    assert status == 422, body  # not a 500: the refusal itself is valid JSON
    assert column in json.dumps(body)


def test_the_server_still_serves_after_the_refusals(server, good):
    assert answer(server, good)[0] == 200
    assert call(server, "/health")[1]["status"] == "ok"
