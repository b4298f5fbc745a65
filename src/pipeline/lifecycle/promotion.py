"""Promote the retrained model or keep the champion: the one decision replay and the retrain
workflow's pull request both state.

The gate's checks are of three kinds (monitoring/gate.py, `about`), and answer two questions.
The gate asks "is anything wrong?": the data checks (drift, missing values, new categories in
the newest batch) and the model checks (the new model's quality and fairness against the
dataset's limits) fail it, and a failed gate asks a person to look. Promotion asks "which of
two models should serve?", and only the checks that hold the new model against the champion on
the same rows can answer that: the champion check, which refuses the new model only when the
paired bootstrap's interval shows it worse by more than the dataset's limit, and the fairness
checks against the champion, which refuse it when a group falls further behind the others under
it than under the champion, by more than the measure's limit. A drifted batch is a reason to
retrain, and a new model short of a limit the champion misses too is still the better of the
two: keeping the champion then helps no one. Those are stated in the decision's reason, not
weighed.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from pipeline.monitoring.gate import CHAMPION_CHECKS

PROMOTE = "promote"
KEEP = "keep"


@dataclass(frozen=True)
class Decision:
    action: str  # PROMOTE or KEEP
    reason: str  # one sentence: why
    gate_passed: bool  # every check of the gate, the data's too

    @property
    def promote(self) -> bool:
        return self.action == PROMOTE

    @property
    def summary(self) -> str:
        """`gate failed, promoted` / `gate passed, kept the champion`: a commit's subject."""
        done = "promoted" if self.promote else "kept the champion"
        return f"gate {'passed' if self.gate_passed else 'failed'}, {done}"


def decide(verdict: dict[str, Any]) -> Decision:
    """The decision on the gate's verdict (gate.json)."""
    checks = verdict["checks"]
    against = [c for c in checks if c.get("about") == "champion" or c["name"] in PRIMARY]
    primary = next((c for c in against if c["name"] in PRIMARY), None)
    passed = bool(verdict["passed"])
    if failed := [c for c in against if not c["passed"]]:
        return Decision(KEEP, "worse than the champion: " + "; ".join(_texts(failed)), passed)
    if primary is None:
        return Decision(KEEP, "the gate made no comparison with the champion", passed)
    reason = f"no worse than the champion: {primary['text']}"
    if short := _failed(checks, "model"):
        reason += f"; short of the dataset's limits ({short})"
    if moved := _failed(checks, "data"):
        reason += f"; the data moved ({moved})"
    return Decision(PROMOTE, reason, passed)


PRIMARY = set(CHAMPION_CHECKS.values())


def _failed(checks: list[dict[str, Any]], about: str) -> str:
    """The failed checks of one kind, as one phrase ("" when none failed)."""
    mine = [c for c in checks if c.get("about", "model") == about and c["name"] not in PRIMARY]
    return "; ".join(_texts([c for c in mine if not c["passed"]]))


def _texts(checks: list[dict[str, Any]]) -> list[str]:
    return [check["text"] for check in checks]
