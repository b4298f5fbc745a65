"""User commands outside the DAG: `python -m pipeline.cli <command>`."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from pipeline.config import PARAMS_FILE

CONF_DIR = Path("conf")


def compose_params(overrides: list[str], output: Path = PARAMS_FILE) -> None:
    """Compose conf/ into params.yaml exactly as `dvc exp run` does: same function, same plugins."""
    from dvc.utils.hydra import compose_and_dump

    compose_and_dump(output, str(CONF_DIR.resolve()), None, "config", str(Path.cwd()), overrides)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m pipeline.cli", description=__doc__)
    commands = parser.add_subparsers(dest="command", required=True)
    params = commands.add_parser("params", help="compose conf/ into params.yaml")
    params.add_argument("overrides", nargs="*", help="Hydra overrides, e.g. model=random_forest")
    params.add_argument("--output", type=Path, default=PARAMS_FILE)
    params.add_argument(
        "--check",
        action="store_true",
        help="exit 1 if params.yaml differs from what conf/ composes to",
    )
    new_batch = commands.add_parser(
        "new-batch",
        help="land the real next month(s) of the example data where the source reads it",
    )
    new_batch.add_argument("--month", type=int, nargs="+", required=True, help="e.g. 7 for July")
    new_batch.add_argument("--format", choices=["parquet", "csv"], default="parquet")
    summary = commands.add_parser("summary", help="summarise the last pipeline run")
    summary.add_argument("--repro-log", type=Path, help="saved output of `dvc repro`")
    args = parser.parse_args(argv)

    if args.command == "params":
        if args.check:
            return check_params(args.output)
        compose_params(args.overrides, args.output)
        print(f"wrote {args.output}")
    elif args.command == "new-batch":
        return new_batch_command(args.month, args.format)
    elif args.command == "summary":
        from pipeline.summary import run_summary

        print(run_summary(args.repro_log))
    return 0


def new_batch_command(months: list[int], file_format: str) -> int:
    from pipeline.config import load_params
    from pipeline.errors import PipelineError
    from pipeline.landing import land_months

    try:
        written = land_months(load_params(), months, file_format)
    except PipelineError as error:
        print(f"new-batch: {error}", file=sys.stderr)
        return 1
    print("landed: " + ", ".join(written))
    print("next:   dvc repro   (then commit dvc.lock and data/landing.dvc)")
    return 0


def check_params(committed: Path) -> int:
    import tempfile

    with tempfile.TemporaryDirectory() as tmp:
        fresh = Path(tmp) / "params.yaml"
        compose_params([], fresh)
        if fresh.read_text() == committed.read_text():
            print(f"{committed} is in sync with conf/")
            return 0
    print(
        f"{committed} is stale: conf/ composes to something else. Run `make params` and commit it.",
        file=sys.stderr,
    )
    return 1


if __name__ == "__main__":
    sys.exit(main())
