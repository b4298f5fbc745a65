"""`init`'s guesses (types, rules, roles, task), its leak report, and every refusal, which
must write nothing. On small frames and the fixture's files; the whole command under real dvc
is tests/integration/test_init_dvc.py."""

from __future__ import annotations

import shutil
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from helpers import FIXTURE_FILES, ROOT

from pipeline.commands.init import run as run_init
from pipeline.config import set_default
from pipeline.errors import InputError
from pipeline.onboarding.adopt import InitRequest, select_dataset
from pipeline.onboarding.inference import guess_column, infer_task, target_spec
from pipeline.onboarding.leaks import find_leaks


def guess(values, name="column"):
    series = pd.Series(values, name=name)
    return guess_column(series, rows=len(series))


def test_a_number_range_is_widened_by_a_tenth_and_never_below_zero():
    counts = guess(list(range(0, 121)) * 2)
    assert counts.spec == {"type": "int", "min": 0, "max": 132}  # 0..120, +12 above
    signed = guess([-10.0, 0.0, 10.0, np.nan])  # three values: two would be an indicator
    assert signed.spec == {"type": "float", "nullable": True, "min": -12.0, "max": 12.0}
    assert signed.role == "numeric" and "finite" in signed.rule()


def test_few_text_values_become_a_closed_set_and_many_are_free_text():
    plans = guess(["basic", "pro", "team", "pro"] * 20)
    assert plans.role == "categorical"
    assert plans.spec == {"type": "str", "values": ["basic", "pro", "team"]}
    comments = guess([f"note {i % 70}" for i in range(100)])
    assert comments.role == "ignored" and "free text" in comments.note


def test_ids_are_unique_without_a_range_and_never_features():
    ids = guess(list(range(1, 101)), name="customer_id")
    assert ids.role == "id" and ids.spec == {"type": "int", "unique": True}
    codes = guess([f"A{i:04d}" for i in range(100)], name="order")
    assert codes.role == "id" and codes.spec["unique"] is True


def test_iso_dates_are_matched_by_a_pattern_and_reach_the_model_as_a_month():
    dates = guess(["2024-01-31", "2024-02-29", "2024-03-01"] * 20, name="signup")
    assert dates.role == "date" and dates.spec["pattern"] == r"^\d{4}-\d{2}-\d{2}"


def test_a_constant_column_is_not_a_feature():
    assert guess([3] * 50).role == "ignored"


def test_an_empty_column_is_ignored_with_the_reason():
    empty = guess([np.nan] * 50)
    assert (empty.role, empty.note) == ("ignored", "no value in the file: nothing to learn from")


def test_a_two_valued_number_is_an_indicator_with_its_two_values_as_the_rule():
    flag = guess([0, 1, 1, 0] * 10)
    assert flag.spec == {"type": "int", "values": [0, 1]} and flag.role == "numeric"
    with_missing = guess([2.0, 1.0, np.nan] * 10)  # read as floats; the rule keeps 1 and 2
    assert with_missing.spec == {"type": "float", "nullable": True, "values": [1, 2]}


def test_few_integer_values_are_said_to_look_like_codes():
    rating = guess([1, 2, 3, 4, 5] * 10, name="rating")
    assert rating.role == "numeric" and "move it to features.categorical" in rating.note


def test_a_column_named_like_an_id_is_never_a_feature_even_when_repeated():
    repeated = guess([5, 5, 6, 7] * 10, name="customer_id")
    assert repeated.role == "id" and repeated.spec == {"type": "int"}


@pytest.mark.parametrize(
    ("values", "asked", "task"),
    [
        ([0, 1, 1, 0], None, "classification"),
        ([True, False, True], None, "classification"),
        (["yes", "no", "no"], None, "classification"),
        (["Adelie", "Gentoo", "Chinstrap"], None, "multiclass"),
        ([1.5, 2.0, 7.25], None, "regression"),
        ([1, 2, 3, 3], None, "regression"),  # integers: a number unless told they are classes
        ([1, 2, 3, 3], "multiclass", "multiclass"),
        ([0, 1, 1, 0], "regression", "regression"),
    ],
)
def test_the_task_follows_the_target(values, asked, task):
    assert infer_task(pd.Series(values, name="y"), asked).task == task


@pytest.mark.parametrize(
    ("values", "positive", "rule"),
    [
        (["no", "yes", "no"], "yes", "'yes' means yes"),
        (["No", "Yes", "No"], "Yes", "'Yes' means yes"),
        (["Y", "N", "N"], "Y", "'Y' means yes"),
        (["true", "false"], "true", "'true' means yes"),
        ([True, False, False], True, "True is positive"),
        ([0, 1, 1, 0], 1, "the larger value is positive"),
        ([0.0, 1.0, None], 1, "the larger value is positive"),  # a missing label: floats
        (["survived", "died", "died"], "survived", "the rarer value (1 of 3 rows)"),
        (["good", "bad", "good", "good"], "bad", "the rarer value (1 of 4 rows)"),
        # a tie: the first in text order
        (["ok", "faulty", "ok", "faulty"], "faulty", "the rarer value (2 of 4 rows)"),
    ],
)
def test_the_positive_of_two_classes_follows_a_stated_rule(values, positive, rule):
    guess = infer_task(pd.Series(values, name="y"), None)
    assert (guess.classes[-1], guess.positive_rule) == (positive, rule)
    assert len(guess.classes) == 2 and guess.classes[0] != positive


def test_the_positive_class_can_be_named():
    guess = infer_task(pd.Series(["good", "bad", "good"], name="y"), None, positive="good")
    assert guess.classes == ["bad", "good"] and guess.positive_rule == "as asked (--positive)"
    guess = infer_task(pd.Series([0, 1, 1], name="y"), None, positive="0")
    assert guess.classes == [1, 0]


def test_the_target_s_contract_lists_its_classes():
    labels = pd.Series(["no", "yes", None], name="y")
    spec = target_spec(labels, infer_task(labels, None))
    assert spec == {"type": "str", "values": ["no", "yes"], "nullable": True}


@pytest.mark.parametrize(
    ("values", "asked", "positive", "message"),
    [
        ([1, 2, 3], "classification", None, "--task classification needs a target of two values"),
        (["a", "b"], "regression", None, "--task regression needs a numeric target"),
        (["a", "b"], None, "c", "--positive c: not a value of the target (it holds a, b)"),
        ([f"c{i}" for i in range(25)], None, None, "holds 25 distinct values"),
        ([1.5, 2.5, 3.5], None, "2.5", "--positive names a class: the task here is regression"),
    ],
)
def test_a_target_the_task_cannot_learn_is_refused(values, asked, positive, message):
    with pytest.raises(InputError, match=message.replace("(", r"\(").replace(")", r"\)")):
        infer_task(pd.Series(values, name="y"), asked, positive)


def leak_table(rows: int = 600) -> pd.DataFrame:
    rng = np.random.default_rng(3)
    size = rng.normal(100, 20, rows)
    value = 3 * size + rng.normal(0, 30, rows)
    return pd.DataFrame(
        {
            "size": size,
            "noise": rng.normal(0, 1, rows),
            "refund": value * 0.1 + rng.normal(0, 0.01, rows),  # computed from the target
            "value": value,
            "band": np.where(value > np.median(value), "high", "low"),
            "label": (value > np.median(value)).astype(int),
        }
    )


def test_a_column_that_alone_predicts_the_target_is_named():
    table = leak_table()
    leaks = find_leaks(table, "value", ["size", "noise", "refund"], "regression")
    assert [leak.column for leak in leaks] == ["refund"]
    assert leaks[0].reason.startswith("alone predicts the target with R² 0.9")


def test_a_text_column_that_relabels_the_target_is_named():
    table = leak_table()
    leaks = find_leaks(table, "label", ["size", "noise", "band"], "classification")
    assert [(leak.column, leak.reason) for leak in leaks] == [
        ("band", "its values map one to one onto the target's")
    ]


def test_the_fixture_has_no_leak():
    table = pd.concat([pd.read_csv(p) for p in sorted(FIXTURE_FILES.glob("*.csv"))])
    features = ["region", "plan", "tenure_months", "monthly_spend", "support_calls"]
    assert find_leaks(table, "churned", features, "classification") == []


def test_selecting_a_dataset_changes_only_the_dataset_and_source_lines():
    # From another selection than init's, whatever this project selects today.
    text = set_default((ROOT / "conf" / "config.yaml").read_text(), "dataset", "other")
    text = set_default(text, "source", "sql")
    selected = select_dataset(text, "customers")
    changed = [
        (old, new)
        for old, new in zip(text.splitlines(), selected.splitlines(), strict=True)
        if old != new
    ]
    assert [new.split("#")[0].strip() for _, new in changed] == [
        "- dataset: customers",
        "- source: files",
    ]


@pytest.fixture
def project(tmp_path, monkeypatch) -> Path:
    """A directory holding the template's conf/ but no dataset (conf/dataset/, conf/columns/),
    as cwd: where init
    writes. As in a project that dropped the examples; and one that adopted a table called
    customers would otherwise refuse these tests' own."""
    shutil.copytree(ROOT / "conf", tmp_path / "conf", ignore=shutil.ignore_patterns("local"))
    shutil.rmtree(tmp_path / "conf" / "dataset")
    shutil.rmtree(tmp_path / "conf" / "columns")
    (tmp_path / "data" / "landing").mkdir(parents=True)
    monkeypatch.chdir(tmp_path)
    return tmp_path


def snapshot(folder: Path) -> dict[str, bytes]:
    return {str(p.relative_to(folder)): p.read_bytes() for p in folder.rglob("*") if p.is_file()}


def customers(folder: Path, change=None, files: int = 6) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    for path in sorted(FIXTURE_FILES.glob("*.csv"))[:files]:
        table = pd.read_csv(path)
        (change(table) if change else table).to_csv(folder / path.name, index=False)
    return folder


@pytest.mark.parametrize(
    ("request_for", "message"),
    [
        (lambda d: InitRequest(d, target="churn"), "--target churn: no such column"),
        (
            lambda d: InitRequest(customers(d, lambda t: t.assign(churned=1)), target="churned"),
            "--target churned: constant (1 in every labelled row)",
        ),
        (
            lambda d: InitRequest(
                customers(d, lambda t: t.assign(day=f"{t.year.iat[0]}-03-01")),
                target="churned",
                batch_column="day",
            ),
            "--batch-column day holds dates (6 distinct): say how to cut them into batches, "
            "--batch-by year|quarter|month|week|day",
        ),
        (
            lambda d: InitRequest(
                customers(d, lambda t: t.assign(day="soon")),
                target="churned",
                batch_column="day",
                batch_by="month",
            ),
            "column 'day', rule 'a date (dataset.batch.date)': 2,400 row(s) have no readable date",
        ),
        (
            lambda d: InitRequest(
                customers(d, lambda t: t.assign(batch=1)), target="churned", batch_column="year"
            ),
            "column 'batch': the pipeline's tables keep each row's batch id under that name",
        ),
        (
            lambda d: InitRequest(d, target="churned", batch_id="2024"),
            "--batch-id names the batch of a single file, not of a folder",
        ),
        (
            lambda d: InitRequest(customers(d, lambda t: t.assign(batch="a")), target="churned"),
            "the file(s) hold a 'batch' column, the name the files source gives the batch id",
        ),
        (
            lambda d: InitRequest(d, target="churned", batch_column="year", drop=("nope",)),
            "--drop: no column(s) ['nope']",
        ),
        (
            lambda d: InitRequest(d, target="churned", batch_column="yr"),
            "--batch-column yr: no such column",
        ),
    ],
)
def test_a_refusal_names_the_problem_and_writes_nothing(
    project, tmp_path_factory, capsys, request_for, message
):
    files = tmp_path_factory.mktemp("input") / "customers"
    request = request_for(files if files.exists() else customers(files))
    before = snapshot(project)
    assert run_init(request) == 1
    assert message in capsys.readouterr().err
    assert snapshot(project) == before


def test_a_file_in_another_encoding_is_refused_with_ingest_s_message(
    project, tmp_path_factory, capsys
):
    folder = customers(tmp_path_factory.mktemp("input") / "latin")
    latin = folder / "2019.csv"
    latin.write_bytes(latin.read_bytes().replace(b"north", "nörth".encode("latin-1")))
    before = snapshot(project)
    assert run_init(InitRequest(folder, target="churned", batch_column="year")) == 1
    error = capsys.readouterr().err
    assert f"{latin}: not utf-8 text (byte 0xf6" in error and "source.csv.encoding" in error
    assert snapshot(project) == before


@pytest.mark.parametrize("existing", ["dataset", "columns"])
def test_an_existing_dataset_is_kept_unless_forced(existing, project, tmp_path_factory, capsys):
    (project / "conf" / existing).mkdir()
    (project / "conf" / existing / "customers.yaml").write_text("name: customers\n")
    files = customers(tmp_path_factory.mktemp("input") / "customers")
    before = snapshot(project)
    request = InitRequest(files, target="churned", batch_column="year")
    assert run_init(request) == 1
    error = capsys.readouterr().err
    assert "dataset 'customers' exists already" in error and "--force to replace it" in error
    assert snapshot(project) == before
