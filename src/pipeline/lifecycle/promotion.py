"""Promote the retrained model or keep the champion: the one decision replay and the retrain
workflow's pull request both state.

The gate's checks are of two kinds (monitoring/gate.py, `about`). The data checks say how the
newest batch differs from the training window: drift, missing values, new categories. They
are the same whichever model serves, and a drifted batch is a reason to retrain, not to keep
the model that never saw it; they are reported, not weighed here. The model checks say what
the new model does: its quality on the newest batch, its fairness, and the champion check,
which refuses it only when the paired bootstrap's interval shows it worse than the champion
on the same rows by more than the dataset's limit. The new model is promoted when every model
check passes and a champion check was made; otherwise the champion stays.
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
    failed_model = [c for c in checks if not c["passed"] and c.get("about", "model") == "model"]
    failed_data = [c for c in checks if not c["passed"] and c.get("about") == "data"]
    champion = next((c for c in checks if c["name"] in CHAMPION_CHECKS.values()), None)
    passed = bool(verdict["passed"])
    if failed_model:
        return Decision(KEEP, "the new model failed: " + "; ".join(_texts(failed_model)), passed)
    if champion is None:
        return Decision(KEEP, "the gate made no comparison with the champion", passed)
    data = f"; the data moved ({'; '.join(_texts(failed_data))})" if failed_data else ""
    return Decision(PROMOTE, f"every model check passed: {champion['text']}{data}", passed)


def _texts(checks: list[dict[str, Any]]) -> list[str]:
    return [check["text"] for check in checks]
