"""An S3 remote for real: moto's S3 server on 127.0.0.1, `dvc push`, then a fresh clone pulls.

Credentials come only from environment variables; nothing about them is written to the repo.
"""

from __future__ import annotations

import os

import pytest
from helpers import build_three_years, copy_state, run
from s3 import CREDENTIALS, s3_server, use_s3_remote

pytestmark = pytest.mark.slow


def test_push_to_s3_then_a_fresh_clone_pulls_and_is_up_to_date(tmp_path):
    env = os.environ | CREDENTIALS
    repo = copy_state("three-years", build_three_years, tmp_path / "repo")  # the first run
    with s3_server() as s3:
        use_s3_remote(run, repo, s3)
        run(["dvc", "push"], repo, env=env)
        stored = s3.keys()
        assert any(key.startswith("store/files/md5/") for key in stored)
        assert "AWS_SECRET_ACCESS_KEY" not in (repo / ".dvc" / "config.local").read_text()
        assert s3.endpoint not in run(["git", "show", "HEAD:.dvc/config"], repo).stdout

        clone = tmp_path / "clone"
        run(["git", "clone", "-q", str(repo), str(clone)], tmp_path)
        use_s3_remote(run, clone, s3)
        run(["dvc", "pull"], clone, env=env)
        for data in ("models/model.skops", "data/landing/customers/2021.csv"):
            assert (clone / data).read_bytes() == (repo / data).read_bytes()
        repro = run(["dvc", "repro"], clone, env=env)
        assert "Data and pipelines are up to date" in repro.stdout

        # Without credentials the push fails instead of silently doing nothing.
        bare = {key: value for key, value in os.environ.items() if not key.startswith("AWS_")}
        bare |= {"AWS_CONFIG_FILE": "/nonexistent", "AWS_SHARED_CREDENTIALS_FILE": "/nonexistent"}
        (clone / "data" / "note.txt").write_text("new")
        run(["dvc", "add", "data/note.txt"], clone)
        failed = run(["dvc", "push"], clone, check=False, env=bare)
        assert failed.returncode != 0
