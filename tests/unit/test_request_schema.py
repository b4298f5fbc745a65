"""What /predict takes: a raw row as the client's file has it, checked by the dataset's contract.

The app is built in-process (FastAPI's TestClient) from a small model fitted on an in-memory
table, and a dataset described by config alone as `init` writes one: an ISO date the model
reads through its month, a batch column, an id, a free-text column left out of the model, and
columns whose names are no Python names.
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from fastapi.testclient import TestClient
from omegaconf import OmegaConf

from pipeline.contracts.dataset import declared_contracts
from pipeline.data.privacy import hash_values
from pipeline.modeling import estimators
from pipeline.modeling.derived import input_columns
from pipeline.modeling.model_file import load as load_model
from pipeline.modeling.model_file import save as save_model
from pipeline.serving.app import ModelSet, build_app
from pipeline.serving.factory import redaction, row_columns
from pipeline.serving.prometheus import ServerMetrics
from pipeline.serving.request_log import RequestLog

TARGET = "sold_fast"
DATASET = OmegaConf.create(
    {
        "tables": ["sales"],
        "batch": {"table": "sales", "column": "year"},
        "target": TARGET,
        "id_columns": ["sale_id"],
        "features": {"categorical": ["district"], "numeric": ["rooms", "area", "sold_on_month"]},
        "derived": {"sold_on_month": {"op": "month_of_date", "columns": ["sold_on"]}},
        "contracts": None,
        "api": {"title": "Quick sales", "description": "Sold within a month.", "row_name": "Sale"},
    }
)
RULES = OmegaConf.create(  # what the dataset's contract file would hold
    {
        "computed_columns": {},
        "columns": {
            "sales": {
                "sale_id": {"type": "int", "unique": True},
                "year": {"type": "int", "min": 2000, "max": 2100},
                "sold_on": {"type": "str", "pattern": r"^\d{4}-\d{2}-\d{2}"},
                "district": {"type": "str", "values": ["east", "north", "south"]},
                "rooms": {"type": "int", "min": 0, "max": 20},
                "area": {"type": "float", "nullable": True, "min": 0, "max": 1000},
                "listing notes": {"type": "str"},  # free text: init leaves it out ("ignored")
                "_source": {"type": "str", "values": ["agent", "web"]},
                TARGET: {"type": "int", "values": [0, 1]},
            }
        },
    }
)
NO_PRIVACY = OmegaConf.create({"drop": [], "hash": [], "salt_env": "SERVING_TEST_SALT"})


def sales_table(rows: int = 400) -> pd.DataFrame:
    """Sales over 2015-2016; a sale is quick in the second half of the year or for few rooms."""
    rng = np.random.default_rng(7)
    days = pd.Timestamp("2015-01-01") + pd.to_timedelta(rng.integers(0, 730, rows), unit="D")
    frame = pd.DataFrame(
        {
            "sale_id": np.arange(1, rows + 1),
            "year": days.year,
            "sold_on": days.strftime("%Y-%m-%d"),
            "district": rng.choice(["north", "south", "east"], rows),
            "rooms": rng.integers(1, 8, rows),
            "area": np.where(rng.random(rows) < 0.1, np.nan, rng.uniform(20, 300, rows).round(1)),
            "listing notes": [f"flat number {i}" for i in range(rows)],
            "_source": rng.choice(["agent", "web"], rows),
        }
    )
    frame[TARGET] = ((days.month > 6) | (frame["rooms"] < 3)).astype(int)
    return frame


@pytest.fixture(scope="module")
def table() -> pd.DataFrame:
    return sales_table()


def fitted_model(table: pd.DataFrame, categorical: list[str], path: Path) -> Path:
    features = DATASET.features
    numeric = list(features.numeric)
    config = OmegaConf.create({"name": "hist_gbm", "max_iter": 20})
    pipeline = estimators.build_pipeline(config, categorical, numeric, 0, DATASET.derived)
    estimators.fit(pipeline, table, input_columns(categorical, numeric, DATASET.derived), TARGET)
    save_model(pipeline, path)
    return path


@pytest.fixture(scope="module")
def model_file(table, tmp_path_factory) -> Path:
    folder = tmp_path_factory.mktemp("model")
    return fitted_model(table, list(DATASET.features.categorical), folder / "model.skops")


def client(model_file: Path, log_file: Path, privacy=NO_PRIVACY) -> TestClient:
    contracts = declared_contracts(DATASET, RULES)
    app = build_app(
        ModelSet(model_file),
        threshold=0.5,
        max_rows=100,
        max_body_bytes=1_000_000,
        log=RequestLog(log_file, 10**9),
        contract=contracts.features,
        api=DATASET.api,
        row_columns=row_columns(DATASET, contracts),
        redaction=redaction(privacy),
        metrics=ServerMetrics(None),
    )
    return TestClient(app)


@pytest.fixture
def api(model_file, tmp_path) -> TestClient:
    return client(model_file, tmp_path / "requests.jsonl")


def file_rows(frame: pd.DataFrame) -> list[dict]:
    """Rows as they are in the file, as JSON: every column, missing values as null."""
    rows = frame.astype(object).to_dict(orient="records")
    return [{k: (None if pd.isna(v) else v) for k, v in row.items()} for row in rows]


def scores(api: TestClient, rows: list[dict]) -> list[float]:
    answer = api.post("/predict", json={"rows": rows})
    assert answer.status_code == 200, answer.text
    return [p["probability"] for p in answer.json()["predictions"]]


def logged(log_file: Path) -> list[dict]:
    return [json.loads(line) for line in log_file.read_text().splitlines()]


def refusal(api: TestClient, row: dict) -> str:
    """The 422's detail, as text, for one row."""
    answer = api.post("/predict", json={"rows": [row]})
    assert answer.status_code == 422, answer.text
    return json.dumps(answer.json()["detail"])


def test_a_raw_row_from_the_file_is_scored_exactly_as_the_model_scores_its_inputs(
    api, table, model_file
):
    model = load_model(model_file)
    inputs = list(model.feature_names_in_)
    assert inputs == ["district", "rooms", "area", "sold_on"]
    sample = table.sample(30, random_state=1)
    expected = model.predict_proba(sample[inputs])[:, 1].tolist()
    # The whole row: batch, id, target, the columns the model leaves out.
    assert scores(api, file_rows(sample)) == expected
    # The model's inputs alone: the same scores.
    assert scores(api, file_rows(sample[inputs])) == expected


def test_the_rows_other_columns_are_logged_apart_from_the_inputs_and_never_scored(
    api, table, tmp_path
):
    row = file_rows(table.head(1))[0]
    score = scores(api, [row])
    changed = row | {"sale_id": 99999, "year": 2031, "listing notes": "other", TARGET: 1}
    assert scores(api, [changed]) == score
    bare = {k: row[k] for k in ("district", "rooms", "area", "sold_on")}
    assert scores(api, [bare]) == score
    records = logged(tmp_path / "requests.jsonl")
    assert [record["inputs"] for record in records] == [bare] * 3
    context = {k: v for k, v in row.items() if k not in bare}
    assert records[0]["context"] == context
    assert records[1]["context"] == {k: changed[k] for k in context}
    assert "context" not in records[2]  # nothing but inputs sent


def test_only_unknown_columns_are_refused_and_the_answer_names_them(api, table):
    row = file_rows(table.head(1))[0]
    detail = refusal(api, row | {"colour": "red"})
    assert "colour" in detail and "Extra inputs are not permitted" in detail
    # Derived inside the model: a client sends sold_on, never sold_on_month.
    assert "sold_on_month" in refusal(api, row | {"sold_on_month": 3})
    # The raw contract checks the other columns too: a year out of its range, an id as text.
    assert "year" in refusal(api, row | {"year": 1800})
    assert "sale_id" in refusal(api, row | {"sale_id": "S-1"})
    assert "_source" in refusal(api, row | {"_source": "fax"})
    # The model's inputs stay required.
    assert "rooms" in refusal(api, {k: v for k, v in row.items() if k != "rooms"})


def test_a_date_takes_iso_text_and_its_month_reaches_the_model(api, table):
    row = file_rows(table.head(1))[0] | {"rooms": 5}
    winter = scores(api, [row | {"sold_on": "2016-01-05"}])
    assert scores(api, [row | {"sold_on": "2016-01-05T13:30:00"}]) == winter
    assert scores(api, [row | {"sold_on": "2016-01-05 13:30"}]) == winter
    assert scores(api, [row | {"sold_on": "2016-01-31T23:30:00Z"}]) == winter
    summer = scores(api, [row | {"sold_on": "2016-08-05"}])
    assert summer != winter  # the model learnt the month
    # Rows of one request in different forms: each read alone.
    mixed = [row | {"sold_on": "2016-01-05"}, row | {"sold_on": "2016-08-05T10:00:00"}]
    assert scores(api, mixed) == winter + summer


@pytest.mark.parametrize("sent", ["yesterday", "2016-02-30", "05/01/2016", "2016-01-05x", 20160105])
def test_a_date_that_is_no_iso_date_is_refused_naming_the_column(api, table, sent):
    row = file_rows(table.head(1))[0]
    detail = refusal(api, row | {"sold_on": sent})
    assert '"sold_on"' in detail
    expected = "not an ISO 8601 date" if isinstance(sent, str) else "a valid string"
    assert expected in detail


def test_the_schema_says_a_date_is_a_date_and_which_columns_are_optional(api):
    spec = api.get("/openapi.json").json()
    row = spec["components"]["schemas"]["Sale"]
    assert list(row["properties"]) == [
        *("district", "rooms", "area", "sold_on"),
        *("sale_id", "year", "listing notes", "_source", TARGET),
    ]
    assert row["required"] == ["district", "rooms", "area", "sold_on"]
    assert row["additionalProperties"] is False
    sold_on = row["properties"]["sold_on"]
    assert (sold_on["type"], sold_on["format"]) == ("string", "date")
    assert sold_on["pattern"] == r"^\d{4}-\d{2}-\d{2}"
    year = row["properties"]["year"]
    assert {"type": "integer", "minimum": 2000, "maximum": 2100} in year["anyOf"]
    assert "Not read by the model" in year["description"]
    assert row["properties"]["listing notes"]["anyOf"][0]["type"] == "string"


def test_a_model_of_numbers_alone_is_served(table, tmp_path):
    model_file = fitted_model(table, [], tmp_path / "numbers.skops")
    api = client(model_file, tmp_path / "requests.jsonl")
    model = load_model(model_file)
    assert list(model.feature_names_in_) == ["rooms", "area", "sold_on"]
    sample = table.head(5)
    expected = model.predict_proba(sample[["rooms", "area", "sold_on"]])[:, 1].tolist()
    assert scores(api, file_rows(sample)) == expected
    # district is no input now: a raw row may carry it, checked by its contract.
    row = api.get("/openapi.json").json()["components"]["schemas"]["Sale"]
    assert row["required"] == ["rooms", "area", "sold_on"]
    assert "district" in refusal(api, file_rows(sample)[0] | {"district": "west"})


def test_a_hashed_identifier_is_logged_as_ingest_hashes_it_or_not_at_all(
    model_file, table, tmp_path, monkeypatch
):
    privacy = OmegaConf.create({"drop": ["listing notes"], "hash": ["sale_id"]})
    privacy.salt_env = "SERVING_TEST_SALT"
    row = file_rows(table.head(1))[0] | {"sale_id": 770341}
    monkeypatch.setenv("SERVING_TEST_SALT", "pepper")
    scores(client(model_file, tmp_path / "salted.jsonl", privacy), [row])
    (salted,) = logged(tmp_path / "salted.jsonl")
    digest = hash_values(pd.Series([row["sale_id"]]), "pepper")[0]
    assert salted["context"]["sale_id"] == digest
    assert "listing notes" not in salted["context"]
    monkeypatch.delenv("SERVING_TEST_SALT")
    scores(client(model_file, tmp_path / "unsalted.jsonl", privacy), [row])
    (unsalted,) = logged(tmp_path / "unsalted.jsonl")
    assert set(unsalted["context"]) == {"year", "_source", TARGET}
    assert "770341" not in json.dumps(salted) + json.dumps(unsalted)
