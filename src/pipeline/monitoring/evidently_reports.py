"""Evidently reports: data quality, data drift and model quality, as HTML and plain numbers.

The one module that imports evidently: it is slow to import (seconds) and its API changes
between minor versions, so everything else sees only the dicts returned here.

The data reports read each side (a stored table, or a frame as one batch) a batch of rows at
a time: the batches are counted for the summary (exact, on every row) while the rows of the
seeded sample Evidently looks at are kept, so a stored table is never in memory whole. The
reference is read first, so the newest rows are counted against its categories as they are
read (the rows holding a category the reference never had). The drift distances, the
target's included (a Wasserstein distance for a regression target, which would need every
value at once), are Evidently's on the sample, as they were when the sides were read whole
and then sampled; the missing shares, categories, rows and batches are counted on every row.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

import pandas as pd
from evidently import (
    BinaryClassification,
    DataDefinition,
    Dataset,
    MulticlassClassification,
    Regression,
    Report,
)
from evidently.metrics import ValueDrift
from evidently.presets import (
    ClassificationPreset,
    DataDriftPreset,
    DataSummaryPreset,
    RegressionPreset,
)

from pipeline.data.tables import Sample, Table, as_table
from pipeline.monitoring.quality import Counts, summarize

# Distances, not p-values: with tens of thousands of rows every p-value test flags a trivial
# shift, and Evidently would switch tests by sample size. Fixed methods keep "value above the
# threshold" meaning "drifted" for every column and every size.
NUMERIC_DRIFT = "wasserstein"
CATEGORICAL_DRIFT = "jensenshannon"


@dataclass(frozen=True)
class Columns:
    """What the reports look at: model features, and the label when the batch has one."""

    categorical: list[str]
    numeric: list[str]
    target: str
    numeric_target: bool = False  # regression: the label is a number, not a class

    def definition(self, with_target: bool) -> DataDefinition:
        labels = [self.target] if with_target else []
        if self.numeric_target:
            return DataDefinition(
                numerical_columns=self.numeric + labels, categorical_columns=self.categorical
            )
        return DataDefinition(
            numerical_columns=list(self.numeric), categorical_columns=self.categorical + labels
        )

    @property
    def target_drift_method(self) -> str:
        return NUMERIC_DRIFT if self.numeric_target else CATEGORICAL_DRIFT

    def selected(self, with_target: bool) -> list[str]:
        return self.categorical + self.numeric + ([self.target] if with_target else [])


def data_reports(
    reference: pd.DataFrame,
    current: pd.DataFrame,
    columns: Columns,
    *,
    threshold: float,
    drift_share: float,
    out_dir: Path,
) -> dict[str, dict]:
    """Write data_quality.html and data_drift.html; return the drift per column.

    The report calls the dataset drifted when more than `drift_share` of the feature columns
    drifted (the gate's limit, so page and gate agree). The label is compared on its own
    (target drift) when the newest batch has labels.
    """
    with_target = columns.target in current and current[columns.target].notna().any()
    selected = columns.selected(with_target)
    definition = columns.definition(with_target)
    newest = Dataset.from_pandas(current[selected], data_definition=definition)
    baseline = Dataset.from_pandas(reference[selected], data_definition=definition)

    quality = Report([DataSummaryPreset(columns=selected)]).run(newest, baseline)
    save_html(quality, out_dir / "data_quality.html")
    # Evidently refuses a column with no values on a side (a feature blank in the training
    # window): its drift is not measured; the missing-share check watches it instead.
    unmeasured: dict[str, dict] = {}
    for column in columns.selected(with_target=False):
        for side, frame in (("reference rows", reference), ("newest rows", current)):
            if column not in unmeasured and frame[column].isna().all():
                unmeasured[column] = not_measured(f"no values in the {side}")
    metrics = [
        DataDriftPreset(
            columns=[c for c in columns.selected(with_target=False) if c not in unmeasured],
            drift_share=drift_share,
            num_method=NUMERIC_DRIFT,
            cat_method=CATEGORICAL_DRIFT,
            threshold=threshold,
        )
    ]
    if with_target:
        metrics.append(
            ValueDrift(
                column=columns.target, method=columns.target_drift_method, threshold=threshold
            )
        )
    drift = Report(metrics).run(newest, baseline)
    save_html(drift, out_dir / "data_drift.html")
    return column_drift(drift.dict(), threshold) | unmeasured


def not_measured(reason: str) -> dict:
    """A column's drift entry when its drift cannot be measured: never counted as drifted."""
    return {"method": "not measured", "distance": None, "drifted": False, "reason": reason}


def data_report(
    reference: pd.DataFrame | Table,
    current: pd.DataFrame | Table,
    columns: Columns,
    *,
    sample_rows: int | None,
    seed: int,
    threshold: float,
    drift_share: float,
    out_dir: Path,
    view=None,
) -> tuple[dict, dict]:
    """Both data reports on samples of each side, then the summary (exact, on every row).

    Each side is read once, batch by batch (`view`, if given, adds the derived columns to
    each batch), the reference first: counted for the summary while its sample is kept.
    Returns the summary the gate reads and the per-column details.
    """
    features = columns.categorical + columns.numeric
    baseline, before = sample_and_count(
        as_table(reference), sample_rows, seed, Counts(features, columns.categorical), view
    )
    newest, after = sample_and_count(
        as_table(current),
        sample_rows,
        seed,
        Counts(features, columns.categorical, known=before.categories),
        view,
    )
    drift = data_reports(
        baseline,
        newest,
        columns,
        threshold=threshold,
        drift_share=drift_share,
        out_dir=out_dir,
    )
    return summarize(before, after, drift, target=columns.target)


def sample_and_count(
    table: Table, rows: int | None, seed: int, counts: Counts, view=None
) -> tuple[pd.DataFrame, Counts]:
    """One read of a table: its seeded sample (the rows `sample()` draws from it) and its
    counts, a batch at a time."""
    drawn = Sample(table.rows, rows, seed)
    for batch in table.batches():
        batch = batch if view is None else view(batch)  # row-local: the same on any batch
        drawn.keep(batch)
        counts.add(batch)
    return drawn.frame(), counts


def model_view(frame: pd.DataFrame, derived) -> pd.DataFrame:
    """The rows as the estimator sees them: raw inputs plus the dataset's derived columns."""
    from pipeline.modeling.derived import DerivedColumns, plain

    return DerivedColumns(plain(derived)).fit(frame).transform(frame)


def write_data_reports(
    reference: pd.DataFrame | Table,
    current: pd.DataFrame | Table,
    *,
    dataset,
    report,
    seed: int,
    out_dir: Path,
) -> dict:
    """The data reports of the data_report stage and of `monitor`: newest rows vs reference.

    Both sides (frames, or tables read a batch at a time) hold raw input columns (and the
    target where known); drift is judged on the model's features. Writes the HTML, data.json
    (what the gate reads) and data_columns.json.
    """
    from pipeline.config import DATA_COLUMNS, DATA_SUMMARY
    from pipeline.io import write_json

    reference, current = as_table(reference), as_table(current)
    if not current.rows:
        summary_of_window = no_batch_summary(
            reference, len(dataset.features.categorical) + len(dataset.features.numeric)
        )
        trained_on = summary_of_window["reference"]["batches"]
        for name, title in (("data_quality", "Data quality"), ("data_drift", "Data drift")):
            write_waiting_page(out_dir / f"{name}.html", title, trained_on)
        write_json(summary_of_window, out_dir / DATA_SUMMARY)
        write_json({}, out_dir / DATA_COLUMNS)
        return summary_of_window

    columns = Columns(
        list(dataset.features.categorical),
        list(dataset.features.numeric),
        dataset.target,
        numeric_target=str(dataset.task) == "regression",
    )
    summary, details = data_report(
        reference,
        current,
        columns,
        sample_rows=report.sample_rows,
        seed=seed,
        threshold=report.drift_threshold,
        drift_share=report.gate.max_drifted_share,
        out_dir=out_dir,
        view=lambda batch: model_view(batch, dataset.derived),
    )
    write_json(summary, out_dir / DATA_SUMMARY)
    write_json(details, out_dir / DATA_COLUMNS)
    return summary


ONE_BATCH = "one batch so far: nothing newer to judge yet"


def write_waiting_page(path: Path, title: str, trained_on: list[str]) -> None:
    """In place of a report on the newest batch when there is none yet (a snapshot)."""
    from html import escape

    from pipeline.io import atomic_path

    batches = ", ".join(trained_on)
    with atomic_path(path) as tmp:
        tmp.write_text(
            f'<!doctype html>\n<html lang="en"><head><meta charset="utf-8">'
            f"<title>{escape(title)}</title></head><body>\n<h1>{escape(title)}</h1>\n"
            f"<p>One batch so far ({escape(batches)}): the model learned from it, and there is "
            "no newer batch to compare with it. This report appears when the next batch lands "
            "(<code>make land FILE=...</code>, then <code>make run</code>).</p>\n</body></html>\n"
        )


def no_batch_summary(reference: pd.DataFrame | Table, feature_count: int) -> dict:
    """data.json when there is no newest batch: every measure null, saying why."""
    from pipeline.data.batches import BATCH_COLUMN, batch_order

    window = Counts.of(as_table(reference).batches([BATCH_COLUMN]), [])
    return {
        "reference": {"batches": batch_order(window.batches), "rows": window.rows},
        "current": {"batches": [], "rows": 0},
        "drift": {
            "feature_count": feature_count,
            "drifted_count": None,
            "drifted_share": None,
            "drifted_columns": [],
            "target_distance": None,
        },
        "quality": {
            "worst_missing_column": None,
            "worst_missing_increase": None,
            "new_categories": {},
            "new_category_share": None,
        },
        "waiting": ONE_BATCH,
    }


def column_drift(snapshot: dict, threshold: float) -> dict[str, dict]:
    """{column: {method, distance, drifted}} from a drift snapshot's ValueDrift metrics."""
    found = {}
    for metric in snapshot["metrics"]:
        config = metric["config"]
        if config["type"].rsplit(":", 1)[-1] != "ValueDrift":
            continue
        # Rounded: the last digits depend on the order Evidently sums categories in.
        distance = round(float(metric["value"]), 6)
        found[config["column"]] = {
            "method": config["method"],
            "distance": distance,
            "drifted": distance >= threshold,
        }
    return found


def model_report(
    holdout: pd.DataFrame,
    current: pd.DataFrame,
    *,
    target: str,
    threshold: float,
    out: Path,
    task: str = "classification",
    classes: list | None = None,
) -> None:
    """Write model_quality.html: the newest batch's scores against the holdout's.

    `classes`: a multi-class model's labels, in the order of its probability columns.
    """
    if task == "multiclass":
        holdout, current, definition = multiclass_view(holdout, current, target, classes or [])
        columns = list(current.columns)
        report = Report([ClassificationPreset()])
    elif task == "regression":
        definition = DataDefinition(
            numerical_columns=[target, "prediction"],
            regression=[Regression(target=target, prediction="prediction")],
        )
        columns = [target, "prediction"]
        report = Report([RegressionPreset()])
    else:
        classification = BinaryClassification(
            target=target, prediction_probas="probability", pos_label=1
        )
        definition = DataDefinition(
            numerical_columns=["probability"],
            categorical_columns=[target],
            classification=[classification],
        )
        columns = [target, "probability"]
        report = Report([ClassificationPreset(probas_threshold=threshold)])
    snapshot = report.run(
        Dataset.from_pandas(current[columns], data_definition=definition),
        Dataset.from_pandas(holdout[columns], data_definition=definition),
    )
    save_html(snapshot, out)


def multiclass_view(
    holdout: pd.DataFrame, current: pd.DataFrame, target: str, classes: list
) -> tuple[pd.DataFrame, pd.DataFrame, DataDefinition]:
    """Both sides with labels in place of class codes and a probability column per label, as
    Evidently's multi-class preset reads them. Its per-class ROC AUC fails on a side that
    lacks a class, so then the report is of the predicted classes alone."""
    names = [str(label) for label in classes]
    probabilities = [f"probability_{code}" for code in range(len(names))]
    every_class = all(
        set(range(len(names))) <= set(frame[target].astype(int)) for frame in (holdout, current)
    )

    def view(frame: pd.DataFrame) -> pd.DataFrame:
        shown = pd.DataFrame(
            {
                target: [names[code] for code in frame[target].astype(int)],
                "predicted": [names[code] for code in frame["predicted"].astype(int)],
            }
        )
        if every_class:
            for name, column in zip(names, probabilities, strict=True):
                shown[name] = frame[column].to_numpy()
        return shown

    classification = MulticlassClassification(
        target=target,
        prediction_labels="predicted",
        prediction_probas=names if every_class else None,
    )
    definition = DataDefinition(
        numerical_columns=names if every_class else [],
        categorical_columns=[target, "predicted"],
        classification=[classification],
    )
    return view(holdout), view(current), definition


# Evidently stamps each report with random ids and the time it ran; DVC would see a new output
# on every run. Ids are renumbered in order of appearance and times fixed, so the same inputs
# give the same bytes.
_UUID = re.compile(r"[0-9a-f]{8}-?[0-9a-f]{4}-?[0-9a-f]{4}-?[0-9a-f]{4}-?[0-9a-f]{12}")
_TIMESTAMP = re.compile(r"\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(?:\.\d+)?")


def save_html(snapshot, path: Path) -> None:
    """Save a self-contained HTML report whose bytes depend only on its content."""
    from pipeline.io import atomic_path

    with atomic_path(path) as tmp:
        snapshot.save_html(str(tmp))  # a Path object silently writes nothing
        tmp.write_text(canonical_html(tmp.read_text()))


def canonical_html(html: str) -> str:
    ids: dict[str, str] = {}

    def renumber(match: re.Match) -> str:
        return ids.setdefault(match.group(0), f"{len(ids):032x}")

    return _TIMESTAMP.sub("1970-01-01T00:00:00", _UUID.sub(renumber, html))
