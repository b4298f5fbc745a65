"""How a report shows a metric: a number, or "not measured"; never "nan", never a crash.

A metric can be absent (a key the task does not compute), null, NaN (ROC AUC of a batch that
holds one class) or text: dvclive writes NaN as "nan" in metrics.json.
"""

from __future__ import annotations

import math
from numbers import Real

NOT_MEASURED = "not measured"


def measured(value: object) -> float | None:
    """`value` as a float when it is a measured number (text such as "0.5" too), else None."""
    if isinstance(value, str):
        try:
            value = float(value)
        except ValueError:
            return None
    if isinstance(value, bool) or not isinstance(value, Real) or math.isnan(value):
        return None
    return float(value)


def metric_text(value: object, signed: bool = False) -> str:
    """A metric with three decimals (a sign when `signed`), or "not measured"."""
    number = measured(value)
    if number is None:
        return NOT_MEASURED
    return f"{number:+.3f}" if signed else f"{number:.3f}"
