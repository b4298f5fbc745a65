"""The data's composition counted a batch of rows at a time equals the whole frames' (a file
or a folder of parts alike): each group's rows, share and target rate or class shares."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from pipeline.data.groups import group_labels
from pipeline.data.tables import StoredTable
from pipeline.monitoring.composition import composition


def whole_frame_groups(frame: pd.DataFrame, column: str, target: str, classes=None) -> dict:
    """{group: (rows, share, target rate or class shares)} as the composition computed it on
    a whole frame, written out here as it did."""
    groups = group_labels(frame[column]).to_numpy()
    labels = pd.to_numeric(frame[target], errors="coerce")
    found = {}
    for name, rows in labels.groupby(groups):
        if classes is None:
            rate = rows.astype(float).mean()
            rate = None if pd.isna(rate) else round(float(rate), 6)
        else:
            rate = {
                str(label): round(float((rows == code).mean()), 6)
                for code, label in classes.items()
            }
        found[name] = (len(rows), round(len(rows) / len(frame), 6), rate)
    return found


def store(frame: pd.DataFrame, path, part_rows: int | None):
    if part_rows is None:
        frame.to_parquet(path, index=False, row_group_size=40)
    else:
        path.mkdir()
        for number, start in enumerate(range(0, len(frame), part_rows)):
            part = frame.iloc[start : start + part_rows]
            part.to_parquet(path / f"part-{number:05d}-0000.parquet", index=False)
    return StoredTable([path], list(frame.columns), batch_rows=16)


def sides(task: str, seed: int) -> tuple[pd.DataFrame, pd.DataFrame]:
    rng = np.random.default_rng(seed)

    def rows(count, regions):
        region = pd.Series(rng.choice(regions, count), dtype="str")
        region[rng.random(count) < 0.1] = np.nan  # missing: a group of its own
        if task == "regression":
            target = rng.normal(100, 30, count)
        else:
            target = rng.integers(0, 3 if task == "multiclass" else 2, count).astype(float)
        target[rng.random(count) < 0.05] = np.nan  # rows without a label yet
        return pd.DataFrame({"region": region, "tier": rng.integers(1, 4, count), "y": target})

    return rows(300, ["north", "south", "east"]), rows(110, ["north", "south", "west"])


@pytest.mark.parametrize("task", ["classification", "regression", "multiclass"])
@pytest.mark.parametrize("part_rows", [None, 35], ids=["file", "parts"])
def test_composition_counted_batch_by_batch_is_the_whole_frames(tmp_path, task, part_rows):
    reference, current = sides(task, seed=len(task))
    classes = {0: "low", 1: "mid", 2: "high"} if task == "multiclass" else None
    tables = [
        store(frame, tmp_path / f"{name}.parquet", part_rows)
        for name, frame in (("reference", reference), ("current", current))
    ]
    streamed = composition(*tables, columns=["region", "tier"], target="y", classes=classes)
    assert streamed == composition(reference, current, columns=["region", "tier"], target="y",
                                   classes=classes)  # fmt: skip
    for column in ("region", "tier"):
        before, after = (
            whole_frame_groups(frame, column, "y", classes) for frame in (reference, current)
        )
        assert {row["group"] for row in streamed[column]} == set(before) | set(after)
        for row in streamed[column]:
            for side, whole in (("reference", before), ("current", after)):
                rows, share, rate = whole.get(row["group"], (0, 0.0, None))
                assert (row[f"{side}_rows"], row[f"{side}_share"]) == (rows, share)
                if task == "regression" and rate is not None:
                    # a float sum added in another order: equal to the last bits
                    assert row[f"{side}_target"] == pytest.approx(rate, abs=1e-6)
                else:
                    assert row[f"{side}_target"] == rate
