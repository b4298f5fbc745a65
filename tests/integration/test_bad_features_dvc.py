"""A row the raw contract allows but the features contract refuses stops featurize, and the
message names the batch and the landed file the row came from, not only the features table.

A dataset described by config alone holds its features to the same rules as its raw table,
so validate would stop such a row first. A dataset with hand-written contracts (a dotted path
in `dataset.contracts`) may be stricter about the features: this test gives the fixture one,
a module in the temporary repository that tightens the tenure its model may see. Two good
years land and train; then a third arrives with a few tenures of 50 years, which the raw
contract allows (up to 600 months) and the features contract does not (up to 240). Real
`dvc repro` must stop at featurize, touch nothing downstream, and `dvc checkout` restore.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from helpers import ALL_STAGES, commit, make_repo, run, stages_ran
from landed_repo import (
    BAD_BATCH,
    LANDED,
    assert_restored,
    assert_stopped_cleanly,
    good_year,
    land,
    restore_last_good_state,
    snapshot,
)

pytestmark = pytest.mark.slow

CONTRACTS_MODULE = '''"""The fixture's declared contracts, with stricter features."""

import pandera.pandas as pa

from pipeline.config import load_params
from pipeline.contracts.dataset import DatasetContracts, declared_contracts, read_column_rules

_declared = declared_contracts(load_params().dataset, read_column_rules("conf/columns/shop.yaml"))
_tenure = _declared.features.columns["tenure_months"]
CONTRACTS = DatasetContracts(
    raw=_declared.raw,
    interim=_declared.interim,
    features=_declared.features.update_column(
        "tenure_months", checks=[*_tenure.checks, pa.Check.le(240)]
    ),
)
'''


@pytest.fixture(scope="module")
def repo(tmp_path_factory) -> Path:
    repo = make_repo(
        tmp_path_factory.mktemp("bad-features") / "repo",
        # The stages that load the contracts depend on the module, as on any dataset's code.
        {
            "dataset/shop.yaml": {
                "contracts": "shop_contracts.CONTRACTS",
                "code": "shop_contracts.py",
            }
        },
        landed=2,
    )
    (repo / "shop_contracts.py").write_text(CONTRACTS_MODULE)
    commit(repo, "hand-written contracts")
    assert stages_ran(run(["dvc", "repro"], repo).stdout) == ALL_STAGES
    commit(repo, "two good years")
    return repo


def test_a_row_the_features_contract_refuses_stops_featurize_naming_batch_and_file(repo):
    good = snapshot(repo)
    rows = [3, 4, 5]

    def write(path: Path) -> None:
        customers = good_year()
        customers.loc[rows, "tenure_months"] = 600  # 50 years: allowed raw, refused as a feature
        customers.to_csv(path, index=False)

    land(repo, f"{BAD_BATCH}.csv", write)
    try:
        result = run(["dvc", "repro"], repo, check=False)
        assert "Running stage 'validate'" in result.stdout  # the raw contract let it through
        assert (
            "data/processed/features.parquet: 1 rule(s) of the features contract failed"
            in result.stderr
        )
        assert (
            "column 'tenure_months', rule less_than_or_equal_to(240): 3 row(s) "
            f"in batch {BAD_BATCH} ({LANDED}/{BAD_BATCH}.csv), e.g. ['600']" in result.stderr
        )
        assert "full report: reports/validation/featurize.json" in result.stderr
        assert_stopped_cleanly(repo, result, "featurize", good)
        report = json.loads((repo / "reports/validation/featurize.json").read_text())
        [failure] = report["tables"][0]["failures"]
        assert failure["batches"] == [BAD_BATCH] and failure["failing_rows"] == 3
    finally:
        restore_last_good_state(repo)
    assert_restored(repo, good)
