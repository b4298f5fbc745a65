"""User commands outside the DAG: `pipeline <command>` (the same as `python -m pipeline.cli`)."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from pipeline.config import PARAMS_FILE

# Experiments are chosen on the holdout; the current batch stays an untouched test.


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="pipeline", description=__doc__)
    commands = parser.add_subparsers(dest="command", required=True)
    params = commands.add_parser("params", help="compose conf/ into params.yaml")
    params.add_argument("overrides", nargs="*", help="Hydra overrides, e.g. model=random_forest")
    params.add_argument("--output", type=Path, default=PARAMS_FILE)
    params.add_argument(
        "--check",
        action="store_true",
        help="exit 1 if params.yaml differs from what conf/ composes to",
    )
    init = commands.add_parser(
        "init",
        help="your own table in one command: infer its contract and dataset config, land it",
    )
    init.add_argument("path", type=Path, help="a CSV or Parquet file, or a folder of them")
    init.add_argument("--target", required=True, help="the column to predict")
    init.add_argument(
        "--batch-column",
        help="the column saying which batch a row arrived in (else: one file per batch; "
        "a single file is the first batch)",
    )
    init.add_argument(
        "--batch-by",
        choices=["year", "quarter", "month", "week", "day"],
        help="the batch column is a date: cut it into batches of this period",
    )
    init.add_argument(
        "--batch-id", help="a single file without a batch column: its batch id (default: its name)"
    )
    init.add_argument(
        "--task",
        choices=["classification", "multiclass", "regression"],
        help="default: from the target (two values, three or more classes, or a number)",
    )
    init.add_argument(
        "--positive", help="the positive of two classes (default: a yes-like value, else the rarer)"
    )
    init.add_argument("--drop", nargs="+", default=[], help="columns that must not be features")
    init.add_argument("--name", help="the dataset's name (default: from the file name)")
    init.add_argument("--force", action="store_true", help="replace a dataset of that name")
    init.add_argument("--delimiter", default=",", help="of CSV files (default: ,)")
    init.add_argument("--encoding", default="utf-8", help="of CSV files (default: utf-8)")
    new_batch = commands.add_parser(
        "new-batch",
        help="land new batches from the dataset's new_batch reader where the source reads them",
    )
    new_batch.add_argument(
        "--month", type=int, nargs="+", required=True, help="the example: 7 for July 2013"
    )
    new_batch.add_argument("--format", choices=["parquet", "csv"], default="parquet")
    land = commands.add_parser(
        "land",
        help="the next batch of your own data: check a file against the raw contract, land it, "
        "dvc add it (exit 0 landed, 1 refused)",
    )
    land.add_argument("path", type=Path, help="a CSV or Parquet file holding one batch")
    land.add_argument(
        "--batch",
        help="its batch id (default: the file's batch column, else the file's name)",
    )
    land.add_argument(
        "--replace", action="store_true", help="replace a batch that has landed already"
    )
    exp_show = commands.add_parser(
        "exp-show", help="experiments side by side: params that vary, key metrics, best first"
    )
    exp_show.add_argument(
        "--metric",
        help="sort by this metric (default: the task's, holdout.roc_auc or holdout.rmse)",
    )
    queue_wait = commands.add_parser(
        "queue-wait", help="wait for the queued experiments: k of N done; exit 1 if one failed"
    )
    queue_wait.add_argument("--timeout", type=float, help="give up after this many seconds")
    select = commands.add_parser(
        "select-best", help="apply the best experiment if it beats the current model"
    )
    select.add_argument(
        "--metric", help="choose by this metric (default: holdout.roc_auc or holdout.rmse)"
    )
    select.add_argument(
        "--min-improvement",
        type=float,
        default=0.002,
        help="how much better than the committed model the best experiment must be",
    )
    select.add_argument("--dry-run", action="store_true", help="say what would be applied")
    champion = commands.add_parser(
        "champion",
        help="pin the model to compare with: prod's version, else the base's dvc.lock model",
    )
    champion.add_argument(
        "--base",
        default="HEAD",
        help="git revision whose model is the champion when none is in prod",
    )
    register = commands.add_parser("register", help="tag this commit's model as a new version")
    register.add_argument("--message", default="", help="why this version exists")
    promote = commands.add_parser("promote", help="assign a model version to a stage")
    promote.add_argument("--stage", required=True, help="dev | staging | prod")
    promote.add_argument("--version", help="e.g. v0.0.2 (default: the latest)")
    promote.add_argument(
        "--force",
        action="store_true",
        help="promote even if its comparison with the champion failed",
    )
    commands.add_parser(
        "check",
        help="hold the drift and quality reports to conf/report/: exit 0 pass, 1 fail, 2 error",
    )
    retrain = commands.add_parser(
        "retrain-report", help="the retrain pull request's body: diffs against a base, the gate"
    )
    retrain.add_argument("--base", default="main", help="git revision to compare against")
    retrain.add_argument("--output", type=Path, help="write here instead of printing")
    repro = commands.add_parser(
        "repro",
        help="dvc repro with independent stages at the same time; the same dvc.lock",
    )
    repro.add_argument("targets", nargs="*", help="stages to reproduce (default: every one)")
    repro.add_argument(
        "-j",
        "--jobs",
        type=at_least_one,
        help="stages at a time (default: the machine's cores, at most the graph's width)",
    )
    repro.add_argument("-f", "--force", action="store_true", help="run every stage, changed or not")
    replay = commands.add_parser(
        "replay",
        help="land held-back batches one at a time: retrain, compare, gate, decide, commit each",
    )
    replay.add_argument("--to", required=True, help="the last batch to replay, e.g. 2013-12")
    replay.add_argument(
        "--folder",
        type=Path,
        help="the batches' files, landed in name order (default: the dataset's new_batch reader)",
    )
    replay.add_argument(
        "--branch", default="replay", help="the branch to commit on (default: replay)"
    )
    commands.add_parser(
        "history",
        help="reports/history.html: each batch commit of this branch: decay, drift, decision",
    )
    serve = commands.add_parser("serve", help="serve the model over HTTP (conf/serve/)")
    serve.add_argument(
        "--model", type=Path, help="model file (default: serve.model or paths.model)"
    )
    serve.add_argument("--host", help="address to bind (default: serve.host, 127.0.0.1)")
    serve.add_argument("--port", type=int, help="default: serve.port")
    serve.add_argument("--workers", type=int, help="worker processes (default: serve.workers)")
    serve.add_argument("--request-log", type=Path, help="default: serve.request_log")
    serve.add_argument("--candidate", type=Path, help="A/B: a second model file")
    serve.add_argument("--candidate-share", type=float, help="its share of requests (0..1)")
    monitor = commands.add_parser(
        "monitor", help="drift and live quality of served traffic, with the gate (exit 0/1/2)"
    )
    monitor.add_argument("--request-log", type=Path, help="default: serve.request_log")
    monitor.add_argument("--labels", type=Path, help="default: serve.labels")
    summary = commands.add_parser("summary", help="summarise the last pipeline run")
    summary.add_argument("--repro-log", type=Path, help="saved output of `dvc repro`")
    args = parser.parse_args(argv)

    # Each command's module is imported only when it runs: `check` must not pay for FastAPI.
    if args.command == "params":
        from pipeline.commands import params

        return params.run(args.overrides, args.output, args.check)
    if args.command == "init":
        from pipeline.commands import init
        from pipeline.onboarding.adopt import InitRequest

        return init.run(
            InitRequest(
                path=args.path,
                target=args.target,
                batch_column=args.batch_column,
                batch_id=args.batch_id,
                batch_by=args.batch_by,
                task=args.task,
                positive=args.positive,
                drop=tuple(args.drop),
                name=args.name,
                force=args.force,
                delimiter=args.delimiter,
                encoding=args.encoding,
            )
        )
    if args.command == "new-batch":
        from pipeline.commands import new_batch

        return new_batch.run(args.month, args.format)
    if args.command == "land":
        from pipeline.commands import land

        return land.run(args.path, args.batch, args.replace)
    if args.command == "exp-show":
        from pipeline.commands import exp_show

        return exp_show.run(args.metric)
    if args.command == "queue-wait":
        from pipeline.commands import queue_wait

        return queue_wait.run(args.timeout)
    if args.command == "select-best":
        from pipeline.commands import select_best

        return select_best.run(args.metric, args.min_improvement, args.dry_run)
    if args.command == "champion":
        from pipeline.commands import champion

        return champion.run(args.base)
    if args.command == "register":
        from pipeline.commands import register

        return register.run(args.message)
    if args.command == "promote":
        from pipeline.commands import promote

        return promote.run(args.stage, args.version, args.force)
    if args.command == "check":
        from pipeline.commands import check

        return check.run()
    if args.command == "repro":
        from pipeline.commands import repro

        return repro.run(args.targets, args.jobs, args.force)
    if args.command == "replay":
        from pipeline.commands import replay

        return replay.run(args.to, args.folder, args.branch)
    if args.command == "history":
        from pipeline.commands import history

        return history.run()
    if args.command == "retrain-report":
        from pipeline.commands import retrain_report

        return retrain_report.run(args.base, args.output)
    if args.command == "serve":
        from pipeline.commands import serve

        return serve.run(
            args.model,
            args.host,
            args.port,
            args.workers,
            args.request_log,
            args.candidate,
            args.candidate_share,
        )
    if args.command == "monitor":
        from pipeline.commands import monitor

        return monitor.run(args.request_log, args.labels)
    from pipeline.commands import summary

    return summary.run(args.repro_log)


def at_least_one(text: str) -> int:
    """An argparse type: a whole number, 1 or more."""
    try:
        number = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a whole number") from None
    if number < 1:
        raise argparse.ArgumentTypeError(f"{number} stages at a time: it must be at least 1")
    return number


if __name__ == "__main__":
    sys.exit(main())
