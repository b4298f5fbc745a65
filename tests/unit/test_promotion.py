"""The promotion decision replay commits, the retrain pull request states and `promote` obeys."""

from __future__ import annotations

from pipeline.lifecycle.promotion import KEEP, PROMOTE, decide


def check(name: str, passed: bool, about: str = "model") -> dict:
    return {"name": name, "passed": passed, "about": about, "text": f"{name}: {passed}"}


CHAMPION = "ROC AUC drop from the champion"
FAIRER = "recall of each carrier group against the champion"


def test_drift_alone_does_not_keep_a_model_no_worse_than_the_champion():
    verdict = {
        "passed": False,
        "checks": [
            check("drifted feature share", False, "data"),
            check(CHAMPION, True, "champion"),
        ],
    }
    decision = decide(verdict)
    assert decision.action == PROMOTE and not decision.gate_passed
    assert decision.summary == "gate failed, promoted"
    assert decision.reason == (
        f"no worse than the champion: {CHAMPION}: True; "
        "the data moved (drifted feature share: False)"
    )


def test_a_limit_the_new_model_misses_is_stated_not_weighed():
    # The champion is scored on the same rows: when the new model is no worse than it, a
    # limit it misses is one the champion misses too, and keeping the champion helps no one.
    verdict = {
        "passed": False,
        "checks": [
            check("ROC AUC drop from the holdout", False),
            check(CHAMPION, True, "champion"),
        ],
    }
    decision = decide(verdict)
    assert decision.action == PROMOTE
    assert "short of the dataset's limits (ROC AUC drop from the holdout: False)" in decision.reason


def test_worse_than_the_champion_keeps_it_and_says_on_what():
    for failed in (check(CHAMPION, False, "champion"), check(FAIRER, False, "champion")):
        passed = [
            c
            for c in (check(CHAMPION, True, "champion"), check(FAIRER, True, "champion"))
            if c["name"] != failed["name"]
        ]
        decision = decide({"passed": False, "checks": [failed, *passed]})
        assert decision.action == KEEP and decision.summary == "gate failed, kept the champion"
        assert decision.reason == f"worse than the champion: {failed['name']}: False"


def test_a_gate_from_before_the_kinds_still_finds_its_champion_check():
    verdict = {"passed": False, "checks": [{"name": CHAMPION, "passed": False, "text": "worse"}]}
    assert decide(verdict).reason == "worse than the champion: worse"


def test_no_champion_check_keeps_the_champion():
    decision = decide({"passed": True, "checks": [check("ROC AUC on the newest batch", True)]})
    assert decision.action == KEEP and "no comparison with the champion" in decision.reason
