"""Champion against challenger under real dvc and a real registry (GTO tags).

On the framework's fixture dataset: the first model is the champion (from the base's
dvc.lock, then from the registry's prod stage); a deliberately worse model (one tree of two
leaves) must be stopped by the gate and by promote, and an equal one must pass.
"""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

import pandas as pd
import pytest
import yaml
from helpers import build_trained, commit, copy_state, run, stages_ran

from pipeline.modeling.comparison import rows_digest

pytestmark = pytest.mark.slow

ARTIFACT = "churn-model"  # the fixture's dataset.artifact.name
CHECK = "ROC AUC drop from the champion"
WORSE = {"max_iter": 1, "max_leaf_nodes": 2}  # one split: far below the first model


@pytest.fixture(scope="module")
def repo(tmp_path_factory) -> Path:
    """The first model trained and committed. The tests below are one story told in order
    on this module's own copy: pin, register, promote, a worse model, a better one."""
    return copy_state("trained", build_trained, tmp_path_factory.mktemp("champion") / "repo")


def cli(repo: Path, *args: str, check: bool = True):
    return run(["python", "-m", "pipeline.cli", *args], repo, check=check)


def comparison(repo: Path) -> dict:
    return json.loads((repo / "reports/compare.json").read_text())


def champion_line(output: str) -> str:
    return next(line.strip() for line in output.splitlines() if CHECK in line)


def set_model(repo: Path, **keys) -> None:
    """Change the model's settings in conf/ and compose params.yaml, as a user would."""
    path = repo / "conf/model/hist_gbm.yaml"
    path.write_text(yaml.safe_dump(yaml.safe_load(path.read_text()) | keys, sort_keys=False))
    cli(repo, "params")


def test_without_a_champion_the_stage_and_the_gate_pass_and_say_so(repo):
    found = comparison(repo)
    assert found["status"] == "no champion"
    assert found["champion"] == {} and found["challenger"]["current"]["roc_auc"] > 0.7
    line = champion_line(cli(repo, "check", check=False).stdout)
    assert line.startswith("pass") and "no champion: nothing is pinned in models/champion" in line


def test_an_equal_challenger_is_scored_on_exactly_its_own_rows_and_passes(repo):
    pinned = cli(repo, "champion")
    assert "champion: the model of HEAD" in pinned.stdout
    pin = json.loads((repo / "models/champion/champion.json").read_text())
    model = repo / "models/model.skops"
    assert pin["source"] == "dvc.lock" and pin["md5"] == hashlib.md5(model.read_bytes()).hexdigest()
    assert (repo / "models/champion/model.skops").read_bytes() == model.read_bytes()

    # A new champion reruns only the comparison and the pages that show it.
    assert stages_ran(run(["dvc", "repro"], repo).stdout) == ["compare", "card", "report_index"]
    found = comparison(repo)
    assert found["status"] == "compared"
    metrics = json.loads((repo / "reports/evaluate/metrics.json").read_text())
    for split in ("holdout", "current"):
        rows = pd.read_parquet(repo / f"data/processed/{split}.parquet")
        # the challenger's rows, as evaluate scored them: same count, same ids in order
        assert found["rows"][split] == metrics[split]["rows"] == len(rows)
        assert found["rows_digest"][split] == rows_digest(rows, ["customer_id"])
        assert found["champion"][split] == found["challenger"][split] == metrics[split]
        assert found["difference"][split]["roc_auc"] == 0
    roc = found["challenger"]["current"]["roc_auc"]
    line = champion_line(cli(repo, "check", check=False).stdout)
    assert line.startswith("pass")
    assert f"champion {roc:.3f}, new model {roc:.3f}, on the same {len(rows)} rows" in line
    assert "## Against the champion" in (repo / "reports/model_card.md").read_text()
    assert 'id="champion"' in (repo / "reports/index.html").read_text()
    curves = repo / "reports/compare"
    assert sorted(p.name for p in curves.iterdir()) == ["challenger", "champion"]
    commit(repo, "pin the first model")
    assert run(["git", "status", "--porcelain"], repo).stdout == ""


def test_a_worse_challenger_is_stopped_by_the_gate_and_by_promote(repo):
    cli(repo, "register")
    cli(repo, "promote", "--stage", "prod")
    pinned = cli(repo, "champion")
    assert f"champion: {ARTIFACT} v0.0.1 (stage prod)" in pinned.stdout

    set_model(repo, **WORSE)
    run(["dvc", "repro"], repo)
    found = comparison(repo)
    old, new = (found[role]["current"]["roc_auc"] for role in ("champion", "challenger"))
    assert found["champion_pin"]["version"] == "v0.0.1" and old - new > 0.01
    checked = cli(repo, "check", check=False)
    assert checked.returncode == 1
    line = champion_line(checked.stdout)
    assert line.startswith("FAIL") and f"champion {old:.3f}, new model {new:.3f}" in line
    assert json.loads((repo / "reports/monitoring/gate.json").read_text())["passed"] is False

    commit(repo, "a worse model")
    assert "v0.0.2" in cli(repo, "register").stdout
    refused = cli(repo, "promote", "--stage", "prod", check=False)
    assert refused.returncode == 1
    assert f"not promoting {ARTIFACT} v0.0.2 to prod" in refused.stderr
    assert "its gate decided to keep the champion" in refused.stderr
    assert f"worse than the champion: {CHECK}" in refused.stderr
    assert f"champion {old:.3f}, new model {new:.3f}" in refused.stderr
    assert "FORCE=1" in refused.stderr
    assert "#prod#2" not in run(["git", "tag"], repo).stdout  # nothing was assigned

    forced = cli(repo, "promote", "--stage", "prod", "--force")
    assert "v0.0.2 is now in stage prod" in forced.stdout


def test_promote_to_prod_refuses_a_comparison_with_another_model_than_prods(repo):
    # Back to the good settings, still compared with v0.0.1, while v0.0.2 is in prod now.
    set_model(repo, max_iter=40, max_leaf_nodes=31)
    run(["dvc", "repro"], repo)
    commit(repo, "the good model again")
    assert "v0.0.3" in cli(repo, "register").stdout
    refused = cli(repo, "promote", "--stage", "prod", check=False)
    assert refused.returncode == 1
    assert f"it was compared with {ARTIFACT} v0.0.1 (stage prod), not with v0.0.2" in refused.stderr
    # Staging holds no such rule: the comparison itself passed.
    assert "v0.0.3 is now in stage staging" in cli(repo, "promote", "--stage", "staging").stdout

    # Compared with what is in prod now, it may go there.
    assert f"{ARTIFACT} v0.0.2 (stage prod)" in cli(repo, "champion").stdout
    assert stages_ran(run(["dvc", "repro"], repo).stdout) == ["compare", "card", "report_index"]
    assert comparison(repo)["difference"]["current"]["roc_auc"] > 0.01  # better than v0.0.2
    commit(repo, "compared with v0.0.2")
    assert "v0.0.4" in cli(repo, "register").stdout
    assert "v0.0.4 is now in stage prod" in cli(repo, "promote", "--stage", "prod").stdout


def test_unpinning_leaves_the_empty_folder_no_cache_is_needed_for(repo):
    """What `pipeline init` does when a new dataset replaces the one the champion knew."""
    code = "from pathlib import Path; from pipeline.lifecycle.pin_champion import unpin; "
    done = run(["python", "-c", code + "print(unpin(Path('models/champion')))"], repo)
    assert done.stdout.strip() == "True"
    pin = yaml.safe_load((repo / "models/champion.dvc").read_text())["outs"][0]
    assert pin["nfiles"] == 0 and pin["md5"] == "d751713988987e9331980363e24189ce.dir"
    again = run(["python", "-c", code + "print(unpin(Path('models/champion')))"], repo)
    assert again.stdout.strip() == "False"  # nothing was pinned: nothing changes
    run(["dvc", "repro"], repo)  # compare comes back from the run cache: this state ran first
    assert comparison(repo)["status"] == "no champion"
    assert "d751713988987e9331980363e24189ce.dir" in (repo / "dvc.lock").read_text()
