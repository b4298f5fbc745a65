"""Features the training rows cannot teach: left out of this run's model, each with its reason.

A feature whose training rows hold no value (a column blank in the training window's
batches), or the same value in every row, cannot tell two rows apart; scikit-learn's
HistGradientBoosting even fails on the first ("window shape cannot be larger than input array
shape"). A feature that is present in some rows and missing in others is kept: whether it is
there can tell rows apart. Such a feature is left out of the estimator only: the contract still
checks its column and the model still takes its raw columns (the API accepts them, the model
ignores them), so tables and requests keep one shape whatever a training window held.

No scikit-learn here: the card and the page only read the reasons train wrote.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING

if TYPE_CHECKING:  # the page's stage reads LEFT_OUT without paying for pandas
    import pandas as pd

# The key of train's report (reports/validation/train.json) naming each left-out feature and why.
LEFT_OUT = "left_out"


@dataclass(frozen=True)
class Seen:
    """What a feature's training rows hold: rows, values present, its first two distinct values."""

    rows: int
    present: int
    distinct: tuple = ()

    def __add__(self, later: Seen) -> Seen:
        """The rows of this part followed by those of a `later` one."""
        distinct = tuple(dict.fromkeys([*self.distinct, *later.distinct]))[:2]
        return Seen(self.rows + later.rows, self.present + later.present, distinct)


def seen(frame: pd.DataFrame, features: Iterable[str]) -> dict[str, Seen]:
    """{feature: Seen} of the model's features (derived ones computed) in `frame`."""
    found = {}
    for feature in features:
        present = frame[feature].dropna()
        distinct = ()
        if len(present):
            first = present.iloc[0]
            other = present[present != first]
            distinct = (first,) if other.empty else (first, other.iloc[0])
        found[feature] = Seen(len(frame), len(present), distinct)
    return found


def combine(parts: Iterable[Mapping[str, Seen]]) -> dict[str, Seen]:
    """What a table holds, from what each of its parts (in row order) holds."""
    found: dict[str, Seen] = {}
    for part in parts:
        for feature, part_seen in part.items():
            found[feature] = found[feature] + part_seen if feature in found else part_seen
    return found


def left_out(found: Mapping[str, Seen]) -> dict[str, str]:
    """{feature: why the model leaves it out}, in the order of `found`."""
    reasons = {}
    for feature, held in found.items():
        if held.present == 0:
            reasons[feature] = f"no values in the {held.rows:,} training rows"
        elif held.present == held.rows and len(held.distinct) == 1:
            reasons[feature] = f"one value ({held.distinct[0]}) in all {held.rows:,} training rows"
    return reasons


def described(reasons: Mapping[str, str]) -> str:
    """The left-out features in one phrase, for a log line: "a (why); b (why)"."""
    return "; ".join(f"{feature} ({why})" for feature, why in reasons.items())
