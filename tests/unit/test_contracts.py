"""Contracts report every broken rule at once, readably, and convert values only losslessly.

On the fixture dataset, whose contracts are built from the columns its config declares
(tests/data/conf/dataset/shop.yaml), and on small contracts declared here.
"""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pandera.pandas as pa
import pytest
from omegaconf import OmegaConf

from pipeline.contracts.apply import check, enforce, row_rule
from pipeline.contracts.dataset import (
    declared_column,
    declared_contracts,
    load_contracts,
    model_input,
    predictions,
    read_column_rules,
)
from pipeline.data.sources import read_file
from pipeline.errors import ConfigError, ContractError

BATCH = "year"  # the fixture's batch column
CSV = {"delimiter": ",", "encoding": "utf-8"}


@pytest.fixture(scope="module")
def contracts(shop_params):
    return load_contracts(shop_params.dataset)


@pytest.fixture(scope="module")
def customers(contracts) -> pa.DataFrameSchema:
    return contracts.raw["customers"]


@pytest.fixture
def rows(shop_raw) -> pd.DataFrame:
    """Every fixture row, a copy a test may break."""
    return shop_raw.copy()


def failures_of(schema, frame, **options) -> dict[tuple[str, str], dict]:
    _, report = check(schema, frame, "table", batch_column=BATCH, **options)
    return {(f["column"], f["rule"]): f for f in report["failures"]}


def first_rows(frame: pd.DataFrame, year: int, count: int) -> pd.Index:
    return frame.index[frame[BATCH] == year][:count]


def test_every_fixture_row_satisfies_the_contract_its_config_declares(customers, shop_raw):
    checked, report = check(customers, shop_raw, "table", batch_column=BATCH)
    assert report["valid"] and report["rows"] == len(shop_raw) == 2400
    assert checked.dtypes.astype(str).to_dict() == {
        "customer_id": "int64",
        "year": "int64",
        "region": "str",
        "plan": "str",
        "tenure_months": "int64",
        "monthly_spend": "float64",
        "support_calls": "int64",
        "signup_hhmm": "int64",
        "churned": "int64",
        "annual_value": "float64",
    }


def test_every_broken_rule_is_reported_with_column_rule_count_examples_and_batches(customers, rows):
    schema = pa.DataFrameSchema(
        customers.columns,
        checks=[
            row_rule(
                ["tenure_months", "support_calls"],
                lambda df: df["support_calls"] <= 12 * (df["tenure_months"] + 1),
                "support_calls <= 12 x (tenure_months + 1)",
            )
        ],
        name="raw customers",
        strict=True,
    )
    assert failures_of(schema, rows) == {}  # the rule holds on every real row
    rows.loc[first_rows(rows, 2020, 3), "region"] = "mars"  # unknown category, 3 rows
    late = first_rows(rows, 2021, 1)[0]
    rows.loc[late, "signup_hhmm"] = 2500  # past the declared maximum
    odd = first_rows(rows, 2022, 1)[0]
    rows.loc[odd, ["tenure_months", "support_calls"]] = [0, 50]  # breaks the row rule only
    failures = failures_of(schema, rows)
    region = next(f for (column, _), f in failures.items() if column == "region")
    assert region["failing_rows"] == 3 and region["examples"] == ["mars"]
    assert region["batches"] == ["2020"]
    hhmm = failures["signup_hhmm", "in_range(0, 2359)"]
    assert hhmm["examples"] == ["2500"] and hhmm["batches"] == ["2021"]
    across = failures["tenure_months, support_calls", "support_calls <= 12 x (tenure_months + 1)"]
    assert across["failing_rows"] == 1 and across["batches"] == ["2022"]
    assert across["examples"] == [f"row {odd}: tenure_months=0, support_calls=50"]
    assert len(failures) == 3


def test_enforce_checks_every_table_then_stops_with_a_summary_and_the_full_report(
    customers, rows, tmp_path
):
    plans = pd.DataFrame({"plan": ["basic", "pro", "team"], "price": [9.0, -19.0, 49.0]})
    plan_schema = pa.DataFrameSchema(
        {
            "plan": declared_column("plans.plan", {"type": "str", "unique": True}),
            "price": declared_column("plans.price", {"type": "float", "min": 0}),
        },
        name="raw plans",
    )
    rows.loc[first_rows(rows, 2019, 10), "region"] = "mars"
    report_file = tmp_path / "validate.json"
    with pytest.raises(ContractError) as error:
        enforce(
            [(customers, rows, "data/raw/customers.parquet"), (plan_schema, plans, "p")],
            report_file,
            origins={"2019": "data/landing/customers/2019.csv"},
            batch_column=BATCH,
        )
    message = str(error.value)
    assert message.startswith("data/raw/customers.parquet: 1 rule(s) of the raw customers")
    assert "column 'region', rule isin" in message and "10 row(s)" in message
    assert "in batch 2019 (data/landing/customers/2019.csv)" in message
    assert "p: 1 rule(s) of the raw plans contract" in message and "'price'" in message
    assert message.endswith(f"full report: {report_file}")
    report = json.loads(report_file.read_text())
    assert report["valid"] is False and report["failing_rules"] == 2
    assert report["rows"] == {"customers": 2400, "p": 3}


def test_enforce_returns_the_converted_tables_and_leaves_writing_the_report_to_the_caller(
    customers, rows, tmp_path
):
    rows["tenure_months"] = rows["tenure_months"].astype(str)
    (checked,), report = enforce(
        [(customers, rows, "data/raw/customers.parquet")],
        tmp_path / "validate.json",
        batch_column=BATCH,
    )
    assert report["valid"] and report["rows"] == {"customers": 2400}
    assert checked["tenure_months"].dtype == "int64"
    assert not (tmp_path / "validate.json").exists()


def test_lossless_conversions_pass_and_lossy_ones_name_the_value(customers, rows):
    rows["tenure_months"] = rows["tenure_months"].astype(str)  # "87" from a text file: fine
    converted, report = check(customers, rows, "table", batch_column=BATCH)
    assert report["valid"] and converted["tenure_months"].dtype == "int64"
    assert converted["tenure_months"].tolist() == rows["tenure_months"].astype(int).tolist()

    rows["tenure_months"] = rows["tenure_months"].astype(object)
    rows.loc[3, "tenure_months"] = "abc"
    rows["support_calls"] = rows["support_calls"].astype(float)
    rows.loc[4, "support_calls"] = 2.5  # an int column must not be truncated silently
    failures = failures_of(customers, rows)
    assert failures["tenure_months", "values are int64"]["examples"] == ["abc"]
    assert failures["support_calls", "values are int64"]["examples"] == ["2.5"]
    assert failures["support_calls", "values are int64"]["batches"] == ["2019"]
    assert set(failures) == {
        ("tenure_months", "values are int64"),
        ("support_calls", "values are int64"),
    }


def test_a_nullable_float_column_arriving_as_integers_is_widened_losslessly(
    customers, shop_raw, tmp_path
):
    """A batch in which every amount is present and whole reads as int64 from its CSV file."""
    year = shop_raw[shop_raw[BATCH] == 2019].dropna(subset=["monthly_spend"])
    whole = year.assign(monthly_spend=year["monthly_spend"].round())
    path = tmp_path / "2019.csv"
    whole.to_csv(path, index=False, float_format="%.0f")
    landed = read_file(path, CSV)
    assert landed["monthly_spend"].dtype == "int64"
    converted, report = check(customers, landed, "table", batch_column=BATCH)
    assert report["valid"], report["failures"]
    assert converted["monthly_spend"].dtype == "float64"
    assert converted["monthly_spend"].tolist() == whole["monthly_spend"].tolist()
    # Widening is for float contracts only: 1.5 in an int column still fails, naming it.
    landed["support_calls"] = landed["support_calls"].astype(float)
    landed.loc[7, "support_calls"] = 1.5
    (failure,) = failures_of(customers, landed).values()
    assert (failure["column"], failure["rule"]) == ("support_calls", "values are int64")
    assert failure["examples"] == ["1.5"] and failure["failing_rows"] == 1


def test_infinity_in_a_float_column_fails_naming_the_column_count_and_batch(
    customers, rows, tmp_path
):
    # An unbounded column: no range check would catch inf there.
    spec = {"type": "float", "nullable": True}
    schema = pa.DataFrameSchema(
        {**customers.columns, "discount": declared_column("customers.discount", spec)},
        name="raw customers",
    )
    rows["discount"] = 0.1
    rows.loc[first_rows(rows, 2022, 2), "discount"] = np.inf
    rows.loc[first_rows(rows, 2023, 1), "discount"] = -np.inf
    rows.loc[first_rows(rows, 2024, 1), "discount"] = np.nan  # missing is allowed, not infinite
    failures = failures_of(schema, rows)
    assert list(failures) == [("discount", "finite")]
    finite = failures["discount", "finite"]
    assert finite["failing_rows"] == 3 and finite["batches"] == ["2022", "2023"]
    assert finite["examples"] == ["inf", "-inf"]
    with pytest.raises(
        ContractError, match=r"column 'discount', rule finite: 3 row\(s\) in batch 2022, 2023"
    ):
        enforce([(schema, rows, "t")], tmp_path / "report.json", batch_column=BATCH)

    allowed = spec | {"allow_infinite": True}
    schema = pa.DataFrameSchema(
        {**customers.columns, "discount": declared_column("customers.discount", allowed)},
        name="raw customers",
    )
    checked, report = check(schema, rows, "table", batch_column=BATCH)
    assert report["valid"] and np.isinf(checked["discount"]).sum() == 3


def test_declared_contracts_are_built_from_the_column_rules():
    dataset = OmegaConf.create(
        {"tables": ["orders", "shops"], "batch": {"table": "orders", "column": "week"}}
    )
    rules = OmegaConf.create(
        {
            "columns": {
                "orders": {
                    "order_id": {"type": "int", "min": 1, "unique": True},
                    "week": {"type": "str", "pattern": r"^\d{4}-W\d{2}$"},
                    "shop": {"type": "str", "values": ["a", "b"]},
                    "amount": {"type": "float", "nullable": True, "min": 0, "max": 1000},
                    "gift": {"type": "bool"},
                },
                "shops": {"shop": {"type": "str", "unique": True}, "size": {"type": "int"}},
            },
            # what featurize computes from the joined tables
            "computed_columns": {"amount_per_size": {"type": "float", "min": 0}},
        }
    )
    built = declared_contracts(dataset, rules)
    assert set(built.raw) == {"orders", "shops"} and built.interim == built.raw
    orders = built.raw["orders"]
    kinds = {name: column.dtype for name, column in orders.columns.items()}
    types = {"order_id": int, "week": str, "shop": str, "amount": float, "gift": bool}
    assert kinds == {name: pa.Column(kind).dtype for name, kind in types.items()}
    assert [orders.columns[name].nullable for name in types] == [False, False, False, True, False]
    good = pd.DataFrame(
        {
            "order_id": [1, 2, 3],
            "week": ["2024-W01", "2024-W01", "2024-W02"],
            "shop": ["a", "b", "a"],
            "amount": [10.0, None, 999.5],  # nullable
            "gift": [True, False, False],
        }
    )
    assert failures_of(orders, good) == {}
    bad = good.assign(
        order_id=[0, 2, 2], week=["2024-01", "2024-W01", "2024-W02"], amount=[10.0, None, 2e3]
    ).assign(shop=["a", "c", None])
    assert set(failures_of(orders, bad)) == {
        ("order_id", "greater_than_or_equal_to(1)"),
        ("order_id", "field_uniqueness"),
        ("week", r"str_matches('^\d{4}-W\d{2}$')"),
        ("shop", "isin(['a', 'b'])"),
        ("shop", "not_nullable"),
        ("amount", "in_range(0, 1000)"),
    }
    assert ("coupon", "column_in_schema") in failures_of(orders, good.assign(coupon="x"))
    # The features contract: the batch id as text, then the batch table's rules, on columns
    # a features table may leave out.
    features = built.features
    assert features.columns["batch"].dtype == pa.Column(str).dtype
    assert failures_of(features, pd.DataFrame({"batch": ["2024-W01"], "amount": [3.0]})) == {}
    assert ("amount", "in_range(0, 1000)") in failures_of(
        features, pd.DataFrame({"batch": ["2024-W01"], "amount": [-3.0]})
    )
    # ...and the joined tables' rules (the batch table's win a shared name), and the rules of
    # the computed columns.
    joined = pd.DataFrame(
        {
            "batch": ["2024-W01"] * 2,
            "shop": ["a", "c"],
            "size": [3, 4],
            "amount_per_size": [1.0, -1.0],
        }
    )
    assert set(failures_of(features, joined)) == {
        ("shop", "isin(['a', 'b'])"),
        ("amount_per_size", "greater_than_or_equal_to(0)"),
    }


def test_a_declared_column_with_an_unknown_type_fails_naming_the_file_and_key():
    dataset = OmegaConf.create(
        {
            "tables": ["orders"],
            "batch": {"table": "orders", "column": "week"},
            "contract_file": "conf/columns/orders.yaml",
        }
    )
    rules = OmegaConf.create({"columns": {"orders": {"order_id": {"type": "integer"}}}})
    with pytest.raises(
        ConfigError, match=r"orders\.yaml: columns\.orders\.order_id\.type='integer'"
    ):
        declared_contracts(dataset, rules)
    dataset.tables.append("shops")
    rules.columns.orders.order_id.type = "int"
    with pytest.raises(ConfigError, match=r"orders\.yaml: columns\.shops: no columns declared"):
        declared_contracts(dataset, rules)
    rules.columns = {}
    with pytest.raises(ConfigError, match="no columns declared"):
        declared_contracts(dataset, rules)


def test_a_rule_file_with_a_typo_or_a_wrong_type_fails_naming_the_file(tmp_path):
    rules = tmp_path / "shop.yaml"
    rules.write_text("columns:\n  customers:\n    region: {type: str, nulable: true}\n")
    with pytest.raises(ConfigError, match=r"shop\.yaml: .*nulable"):
        read_column_rules(rules)
    rules.write_text("columns:\n  customers:\n    region: {type: str, min: low}\n")
    with pytest.raises(ConfigError, match=r"shop\.yaml: .*low"):
        read_column_rules(rules)
    with pytest.raises(
        ConfigError, match=r"dataset\.contract_file='.*nowhere\.yaml': no such file"
    ):
        read_column_rules(tmp_path / "nowhere.yaml")


def test_a_contracts_path_must_name_dataset_contracts(shop_params):
    wrong = OmegaConf.merge(
        shop_params.dataset, {"contracts": "pipeline.data.batches.BATCH_COLUMN"}
    )
    with pytest.raises(ConfigError, match="is a str, not a DatasetContracts"):
        load_contracts(wrong)
    missing = OmegaConf.merge(shop_params.dataset, {"contracts": "pipeline.nowhere.CONTRACTS"})
    with pytest.raises(ConfigError, match=r"dataset\.contracts='pipeline\.nowhere\.CONTRACTS'"):
        load_contracts(missing)


def test_nulls_where_forbidden_are_reported_once(customers, rows):
    rows.loc[[7, 8], "region"] = None
    rows["tenure_months"] = rows["tenure_months"].astype(float)
    rows.loc[9, "tenure_months"] = None
    failures = failures_of(customers, rows)
    assert set(failures) == {("region", "not_nullable"), ("tenure_months", "not_nullable")}
    assert failures["region", "not_nullable"]["failing_rows"] == 2


def test_out_of_range_values_are_rejected(customers, rows):
    spend = rows.copy()
    spend.loc[0, "monthly_spend"] = 250_000.0
    assert failures_of(customers, spend)["monthly_spend", "in_range(0, 100000)"]["examples"] == [
        "250000.0"
    ]
    rows.loc[[1, 2], "tenure_months"] = -1
    (failure,) = failures_of(customers, rows).values()
    assert failure["rule"] == "in_range(0, 600)" and failure["failing_rows"] == 2
    assert failure["examples"] == ["-1"]


def test_a_missing_column_is_named(customers, rows):
    failures = failures_of(customers, rows.drop(columns="tenure_months"))
    assert list(failures) == [("tenure_months", "column_in_dataframe")]


def test_an_extra_column_fails_or_is_dropped_by_policy(customers, rows):
    extra = rows.assign(email="x@example.com")
    assert list(failures_of(customers, extra)) == [("email", "column_in_schema")]
    kept, report = check(customers, extra, "table", drop_extra_columns=True, batch_column=BATCH)
    assert report["valid"] and report["dropped_columns"] == ["email"]
    assert "email" not in kept.columns


def test_a_duplicated_key_is_rejected(customers, rows):
    doubled = pd.concat([rows, rows.iloc[[5]]], ignore_index=True)
    (failure,) = failures_of(customers, doubled).values()
    assert (failure["column"], failure["rule"]) == ("customer_id", "field_uniqueness")
    assert failure["failing_rows"] == 2 and failure["batches"] == ["2019"]
    # A key across columns: each id once per year.
    columns = {**customers.columns}
    columns["customer_id"] = declared_column("customers.customer_id", {"type": "int"})
    by_year = pa.DataFrameSchema(columns, unique=["customer_id", BATCH], name="raw customers")
    (failure,) = failures_of(by_year, doubled).values()
    assert failure["rule"].startswith("multiple_fields_uniqueness")
    assert failure["failing_rows"] == 2
    assert "customer_id" in failure["column"] and BATCH in failure["column"]


def test_model_input_names_an_unknown_column_and_checks_the_rest(contracts, shop_features):
    with pytest.raises(ConfigError, match="seat_count"):
        model_input(contracts.features, ["region", "seat_count"])
    schema = model_input(contracts.features, ["region", "tenure_months"])
    frame = shop_features.head(100).copy()
    _, report = check(schema, frame, "train")
    assert report["valid"]  # other columns (batch, target) may ride along
    frame.loc[0, "tenure_months"] = -1
    _, report = check(schema, frame, "train")
    assert [f["column"] for f in report["failures"]] == ["tenure_months"]


def test_the_features_contract_holds_the_fixture_features(contracts, shop_features):
    checked, report = check(contracts.features, shop_features, "features")
    assert report["valid"] and report["rows"] == len(shop_features)
    assert checked["batch"].tolist() == shop_features["batch"].tolist()
    _, report = check(contracts.features, shop_features.assign(batch=2019), "features")
    assert report["valid"] is False  # the batch id is text from the features table on


def test_predictions_must_agree_with_the_threshold():
    scored = pd.DataFrame(
        {
            "batch": ["2024"] * 3,
            "split": ["current"] * 3,
            "churned": [0, 1, 1],
            "probability": [0.2, 0.7, 0.55],
            "predicted": [0, 1, 0],  # 0.55 is above 0.5: predicted must be 1
        }
    )
    (failure,) = failures_of(predictions("churned", 0.5), scored).values()
    assert failure["rule"] == "predicted == (probability >= evaluate.threshold)"
    assert failure["failing_rows"] == 1
    assert failures_of(predictions("churned", 0.6), scored) == {}
    renamed = scored.rename(columns={"churned": "label"})
    assert ("churned", "column_in_dataframe") in failures_of(predictions("churned", 0.6), renamed)
