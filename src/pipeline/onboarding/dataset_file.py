"""conf/dataset/NAME.yaml and conf/columns/NAME.yaml as `init` writes them: every key, with a
comment saying what to check.

The contract is conf/columns/NAME.yaml: one line of rules per column, in the framework's own
short format (`ColumnSpec`, checked like every config key), that a person reads, tightens and
reviews in a pull request. It is a file of its own, not keys of the dataset config, so the
rules are not params: DVC tracks the file as one dependency of the stages that apply it, and
`dvc exp show` stays a table of what experiments change (a 74-column table has ~180 rules).
"""

from __future__ import annotations

from typing import Any

import yaml

from pipeline.onboarding.inference import RANGE_MARGIN, ColumnGuess, TargetGuess

# Model-quality limits of a first run: loose enough for an ordinary problem to pass, tight
# enough to catch a model that learned nothing or decays fast. Tighten them once you know
# what good looks like.
GATE = {
    "classification": {"min_roc_auc": 0.6, "max_roc_auc_drop": 0.05},
    "multiclass": {"min_roc_auc": 0.6, "max_roc_auc_drop": 0.05},
    "regression": {"min_r2": 0.1, "max_rmse_rise": 0.25},
}


def flow(value: Any) -> str:
    """One YAML value on one line: [a, b], {type: int, min: 0}, 'a: b'."""
    text = yaml.safe_dump(value, default_flow_style=True, sort_keys=False, width=10_000)
    return text.removesuffix("\n").removesuffix("\n...").strip()


def title_of(name: str) -> str:
    return name.replace("_", " ").replace("-", " ").strip().capitalize()


def rules_path(name: str) -> str:
    """Where init writes a dataset's column rules (its `contract_file`)."""
    return f"conf/columns/{name}.yaml"


def render(
    *,
    name: str,
    source_label: str,
    target: str,
    target_guess: TargetGuess,
    batch_column: str,
    batch_from: str,
    batch_date: tuple[str, str] | None = None,
    guesses: list[ColumnGuess],
    derived: dict[str, dict],
    slices: list[str],
) -> str:
    task = target_guess.task
    roles = {role: [g.name for g in guesses if g.role == role] for role in ROLES}
    numeric = roles["numeric"] + list(derived)
    classes = target_guess.classes
    description = {
        "classification": f"Predicts whether {target} is {classes and classes[-1]}, from the "
        f"{name} table.",
        "multiclass": f"Predicts which {target} a row is, from the {name} table.",
        "regression": f"Predicts {target} from the {name} table.",
    }[task]
    lines = [
        f"# Written by `python -m pipeline.cli init {source_label} --target {target}`.",
        "# Read it top to bottom: every rule and role below is a guess from the data. Tighten",
        f"# the contract ({rules_path(name)}), check the roles, then `make params && make run`.",
        f"name: {name}",
        f"description: {description}",
        "intended_use: >-",
        "  Not stated yet: who may use this model for what, and its known limits (the model",
        "  card shows this paragraph).",
        f"tables: [{name}]",
        "batch:",
        f"  table: {name}",
        *batch_lines(batch_column, batch_from, batch_date),
        f"target: {target}",
        f"task: {task}   # {target_guess.reason}",
        *classes_lines(target_guess),
        f"id_columns: {flow(roles['id'])}   # never features",
        "features:",
        f"  categorical: {flow(roles['categorical'])}",
        f"  numeric: {flow(numeric)}",
    ]
    if derived:
        lines.append("# Computed inside the saved model from the raw columns: /predict takes them.")
        lines.append("derived:")
        lines += [f"  {column}: {flow(spec)}" for column, spec in derived.items()]
    else:
        lines.append("derived: {}")
    ignored = [g for g in guesses if g.role in ("ignored", "dropped", "batch date")]
    if ignored:
        lines.append(
            "# Not features: " + "; ".join(f"{g.name} ({g.note or g.role})" for g in ignored)
        )
    lines += [
        f"slices: {flow(slices)}   # metrics per value of these columns",
        "# Columns whose groups the model must treat alike: fairness per group, gated by the",
        "# limits under `gate` (docs/analysis.md). A column here need not be a feature.",
        "analysis:",
        f"  groups: []   # for example {flow(slices[:1])}" if slices else "  groups: []",
        "  min_group_rows: 200   # a smaller group is reported as too small, not judged",
        "contracts: null   # no Python: the contract is the column rules of contract_file",
        f"contract_file: {rules_path(name)}   # tighten the rules there",
        "code: src/pipeline/plugins.py   # no Python of its own",
    ]
    api_title = f"{title_of(name)}: {target} prediction"
    answer = {
        "classification": f"The class, and the probability that {target} is "
        f"{classes and classes[-1]}.",
        "multiclass": f"The most likely {target}, and each class's probability.",
        "regression": f"Predicted {target}.",
    }[task]
    lines += [
        "gate:   # the model-quality limits of `make check` on the newest batch",
        *(f"  {key}: {value}" for key, value in GATE[task].items()),
        "api:",
        f"  title: {flow(api_title)}",
        f"  description: {flow(answer)}",
        f"  row_name: {flow(title_of(name).replace(' ', ''))}",
        "artifact:",
        f"  name: {name.replace('_', '-')}-model",
        f"  description: {description}",
        "",
    ]
    return "\n".join(lines)


def render_rules(
    *,
    name: str,
    source_label: str,
    target: str,
    batch_column: str,
    batch_from: str,
    guesses: list[ColumnGuess],
    target_spec: dict,
) -> str:
    """The contract: every column of the files, features or not (the raw contract is strict)."""
    columns = {g.name: g.spec for g in guesses}
    columns[target] = target_spec
    if batch_from in ("file", "date"):
        columns[batch_column] = {"type": "str"}  # ingest adds it: from file names, or dates
    ordered = sorted(columns, key=lambda c: (c != batch_column, c == target))
    lines = [
        f"# The contract of dataset {name} (conf/dataset/{name}.yaml), written by `init` from",
        f"# {source_label}: one line per column, its type and rules.",
        f"# Numeric ranges are the observed ones widened by {RANGE_MARGIN:.0%} of the range on",
        "# each side (never below 0 for a column that never is); a text column with few values",
        "# lists them. Tighten what you know: a real minimum, a fixed set. validate, featurize,",
        "# train and evaluate depend on this file: editing a rule reruns exactly them.",
        "columns:",
        f"  {name}:",
    ]
    lines += [f"    {column}: {flow(columns[column])}" for column in ordered]
    return "\n".join([*lines, ""])


def batch_lines(column: str, source: str, date: tuple[str, str] | None) -> list[str]:
    if source == "column":
        return [f"  column: {column}   # the batch id of each row"]
    if source == "file":
        return [f"  column: {column}   # not in the files: each file's name is its batch id"]
    date_column, by = date
    return [
        f"  column: {column}   # not in the files: ingest writes each row's {by} of {date_column}",
        f"  date: {date_column}   # every file that lands later is cut the same way",
        f"  by: {by}   # year | quarter | month | week | day",
    ]


def classes_lines(guess: TargetGuess) -> list[str]:
    if guess.classes is None:
        return ["classes: null   # the target is a number"]
    if guess.task == "classification":
        return [
            f"classes: {flow(guess.classes)}   # [negative, positive]: {guess.positive_rule}",
        ]
    return [f"classes: {flow(guess.classes)}   # the model numbers them 0, 1, ... in this order"]


ROLES = ("id", "categorical", "numeric", "date", "ignored", "dropped")
