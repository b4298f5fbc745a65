"""The promotion decision replay commits and the retrain pull request states."""

from __future__ import annotations

from pipeline.lifecycle.promotion import KEEP, PROMOTE, decide


def check(name: str, passed: bool, about: str = "model") -> dict:
    return {"name": name, "passed": passed, "about": about, "text": f"{name}: {passed}"}


CHAMPION = "ROC AUC drop from the champion"


def test_drift_alone_does_not_keep_a_model_that_passes_every_model_check():
    verdict = {
        "passed": False,
        "checks": [check("drifted feature share", False, "data"), check(CHAMPION, True)],
    }
    decision = decide(verdict)
    assert decision.action == PROMOTE and not decision.gate_passed
    assert decision.summary == "gate failed, promoted"
    assert "the data moved (drifted feature share: False)" in decision.reason


def test_a_failed_model_check_keeps_the_champion_and_says_which():
    verdict = {
        "passed": False,
        "checks": [check("ROC AUC on the newest batch", False), check(CHAMPION, True)],
    }
    decision = decide(verdict)
    assert decision.action == KEEP and decision.summary == "gate failed, kept the champion"
    assert decision.reason == "the new model failed: ROC AUC on the newest batch: False"


def test_no_champion_check_keeps_the_champion():
    decision = decide({"passed": True, "checks": [check("ROC AUC on the newest batch", True)]})
    assert decision.action == KEEP and "no comparison with the champion" in decision.reason
