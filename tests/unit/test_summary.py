"""The summary `make run` prints reads which stages ran from dvc's own output."""

from pipeline.summary import stages_run

REPRO_OUTPUT = """\
Stage 'ingest' didn't change, skipping
Stage 'validate' is cached - skipping run, checking out outputs
Running stage 'train':
> python -m pipeline.stages.train
Running stage 'evaluate':
"""


def test_stages_run_and_skipped_are_read_from_repro_output():
    assert stages_run(REPRO_OUTPUT) == (["train", "evaluate"], ["ingest", "validate"])
