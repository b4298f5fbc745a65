"""Champion against challenger: two models scored on exactly the same rows.

The champion is the model in production (or the one the challenger would replace); the
challenger is the one just trained. Both are scored on the same holdout and newest-batch
rows with the same metrics, so their numbers can be compared directly, unlike two runs'
metrics measured on different windows. The gate then holds the challenger's primary metric
on the newest batch against the champion's (`champion_check` in monitoring/gate.py).
"""

from __future__ import annotations

import hashlib
import math
from dataclasses import dataclass
from typing import TYPE_CHECKING

from pipeline.modeling.tasks import MULTICLASS, class_labels, measure, model_task, predict

# pandas is imported where rows are scored: the gate and the pages read only the statuses,
# and must not pay for importing it.
if TYPE_CHECKING:
    import pandas as pd

NO_CHAMPION = "no champion"
COMPARED = "compared"
NOT_COMPARABLE = "not comparable"


def rows_digest(frame: pd.DataFrame, id_columns: list[str]) -> str:
    """A fingerprint of which rows were scored, in order: their ids (or, without id
    columns, every column), so two comparisons can be shown to use the same rows."""
    import pandas as pd

    columns = [column for column in id_columns if column in frame.columns] or list(frame.columns)
    hashed = pd.util.hash_pandas_object(frame[columns], index=False).to_numpy()
    return hashlib.sha256(hashed.tobytes()).hexdigest()[:16]


def comparable(champion, challenger, frames: dict[str, pd.DataFrame]) -> str | None:
    """Why the champion cannot be scored on the challenger's rows, or None when it can."""
    if model_task(champion) is not model_task(challenger):
        return (
            f"the champion is a {model_task(champion).name} model and the challenger a "
            f"{model_task(challenger).name} model"
        )
    if model_task(challenger) is MULTICLASS and class_labels(champion) != class_labels(challenger):
        return (
            f"the champion's classes {class_labels(champion)} are not the new model's "
            f"{class_labels(challenger)}"
        )
    needed = list(champion.feature_names_in_)
    for split, frame in frames.items():
        missing = [column for column in needed if column not in frame.columns]
        if missing:
            return f"the champion needs columns the {split} rows lack: {', '.join(missing)}"
    return None


def compare(
    champion,
    challenger,
    frames: dict[str, pd.DataFrame],
    *,
    target: str,
    threshold: float,
    id_columns: list[str],
    seed: int,
    reason: str = "",
    groups: Groups | None = None,
) -> tuple[dict, dict[str, pd.DataFrame]]:
    """Score both models on each split's rows; return the comparison and the scores.

    `champion` None means there is none (`reason` says why): the challenger is still scored, and the
    comparison says so. The scores are one frame per split with the label and both models'
    outputs, row for row, for the plots (a multi-class model's: its likeliest class). With a
    champion, each split also gets how sure the difference is (`confidence`: a paired bootstrap
    interval and McNemar's test, see modeling/confidence.py), seeded by `seed`, and, for each
    column of `groups`, both models' fairness on those rows, group by group (`fairness`).
    """
    import pandas as pd

    from pipeline.modeling.confidence import paired_bootstrap

    task = model_task(challenger)
    classes = class_labels(challenger) if task is MULTICLASS else None
    result: dict = {
        "status": COMPARED,
        "reason": reason,
        "task": task.name,
        "primary": task.primary,
        "rows": {split: len(frame) for split, frame in frames.items()},
        "rows_digest": {split: rows_digest(frame, id_columns) for split, frame in frames.items()},
        "champion": {},
        "challenger": {},
        "difference": {},
        "confidence": {},
        "fairness": {},
    }
    if champion is None:
        result["status"] = NO_CHAMPION
    elif (why := comparable(champion, challenger, frames)) is not None:
        result["status"], result["reason"] = NOT_COMPARABLE, why
    models = {"challenger": challenger}
    if result["status"] == COMPARED:
        models["champion"] = champion
    scores = {}
    for split, frame in frames.items():
        labels = frame[target].to_numpy()
        table = pd.DataFrame({"label": labels})
        outputs = {}
        for role, model in models.items():
            outputs[role] = output = predict(model, frame[list(model.feature_names_in_)])
            table[role] = output if output.ndim == 1 else output.argmax(axis=1)
            result[role][split] = measure(task, labels, output, threshold, classes)
        if "champion" in models:
            result["difference"][split] = {
                name: _difference(value, result["champion"][split][name])
                for name, value in result["challenger"][split].items()
            }
            sure = paired_bootstrap(
                task,
                labels,
                outputs["champion"],
                outputs["challenger"],
                threshold=threshold,
                seed=seed,
            )
            result["confidence"][split] = sure.as_dict() if sure else None
            if groups and groups.columns:
                result["fairness"][split] = groups.compare(task, frame, labels, outputs, threshold)
        scores[split] = table
    return result, scores


@dataclass(frozen=True)
class Groups:
    """The groups both models must treat alike (dataset.analysis): their columns, and the
    rows a group needs to be judged."""

    columns: tuple[str, ...]
    min_rows: int

    def compare(self, task, frame: pd.DataFrame, labels, outputs: dict, threshold: float) -> dict:
        """Both models' fairness on the same rows, per column of groups (modeling/fairness.py):
        {column: {"gaps": {measure: {"champion", "challenger"}}, "groups": {group:
        {"champion": {metric: value}, "challenger": {...}}}, "overall": {role: {metric:
        value}}}}. Only the groups judged for both (at least `min_rows` rows) are listed."""
        from pipeline.modeling.fairness import fairness

        found = {
            role: fairness(
                frame,
                labels,
                output,
                columns=list(self.columns),
                task=task,
                threshold=threshold,
                min_rows=self.min_rows,
            )
            for role, output in outputs.items()
        }
        both: dict = {}
        for column, challenger in found["challenger"].items():
            champion = found["champion"][column]
            tables = {
                role: {row["group"]: row for row in seen[column]["groups"] if row["judged"]}
                for role, seen in found.items()
            }
            both[column] = {
                "gaps": {
                    name: {
                        "champion": champion["measures"][name]["value"],
                        "challenger": seen["value"],
                    }
                    for name, seen in challenger["measures"].items()
                },
                "groups": {
                    group: {role: _metrics(tables[role][group]) for role in ROLES}
                    for group in sorted(set(tables["champion"]) & set(tables["challenger"]))
                },
                "overall": {role: found[role][column].get("overall", {}) for role in ROLES},
            }
        return both


ROLES = ("champion", "challenger")


def _metrics(row: dict) -> dict:
    """A group's metrics from its row of the fairness table (not its name, size or flag)."""
    return {k: v for k, v in row.items() if k not in ("group", "rows", "judged")}


def _difference(challenger: float | None, champion: float | None) -> float | None:
    if challenger is None or champion is None:
        return None
    if not (math.isfinite(challenger) and math.isfinite(champion)):
        return None
    return challenger - champion
