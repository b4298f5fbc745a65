"""Errors a user can act on. Stages report them in one message and exit 1; anything else is a
bug and keeps its traceback. This module imports nothing, so every stage can afford it."""


class PipelineError(ValueError):
    """Something the user can fix: a param, an input file, a model file."""


class ConfigError(PipelineError):
    """A param value the pipeline cannot work with."""


class InputError(PipelineError):
    """An input file or table cannot be read the way the source config says."""


class ContractError(PipelineError):
    """Data broke a contract. Carries a readable summary and the full report."""

    def __init__(self, summary: str, report: dict):
        super().__init__(summary)
        self.report = report


class UntrustedModelError(PipelineError):
    """A model file is unreadable or holds types outside the allow-list."""


class ToolError(PipelineError):
    """`dvc` or `git` failed: names the command and gives the tool's reason in one line."""
