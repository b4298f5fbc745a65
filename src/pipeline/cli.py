"""User commands outside the DAG: `python -m pipeline.cli <command>`."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from pipeline.config import PARAMS_FILE

CONF_DIR = Path("conf")
# Experiments are chosen on the holdout; the current batch stays an untouched test.
PRIMARY_METRIC = "holdout.roc_auc"


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
    exp_show = commands.add_parser(
        "exp-show", help="experiments side by side: params that vary, key metrics, best first"
    )
    exp_show.add_argument("--metric", default=PRIMARY_METRIC, help="sort by this metric")
    select = commands.add_parser(
        "select-best", help="apply the best experiment if it beats the current model"
    )
    select.add_argument("--metric", default=PRIMARY_METRIC)
    select.add_argument(
        "--min-improvement",
        type=float,
        default=0.002,
        help="how much better than the committed model the best experiment must be",
    )
    select.add_argument("--dry-run", action="store_true", help="say what would be applied")
    register = commands.add_parser("register", help="tag this commit's model as a new version")
    register.add_argument("--message", default="", help="why this version exists")
    promote = commands.add_parser("promote", help="assign a model version to a stage")
    promote.add_argument("--stage", required=True, help="dev | staging | prod")
    promote.add_argument("--version", help="e.g. v0.0.2 (default: the latest)")
    commands.add_parser(
        "check",
        help="hold the drift and quality reports to conf/report/: exit 0 pass, 1 fail, 2 error",
    )
    retrain = commands.add_parser(
        "retrain-report", help="the retrain pull request's body: diffs against a base, the gate"
    )
    retrain.add_argument("--base", default="main", help="git revision to compare against")
    retrain.add_argument("--output", type=Path, help="write here instead of printing")
    serve = commands.add_parser("serve", help="serve the model over HTTP (conf/serve/)")
    serve.add_argument(
        "--model", type=Path, help="model file (default: serve.model or paths.model)"
    )
    serve.add_argument("--port", type=int, help="default: serve.port")
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

    if args.command == "params":
        if args.check:
            return check_params(args.output)
        compose_params(args.overrides, args.output)
        print(f"wrote {args.output}")
    elif args.command == "new-batch":
        return new_batch_command(args.month, args.format)
    elif args.command == "exp-show":
        from pipeline.experiments import read_runs, table

        print(table(read_runs(), args.metric))
    elif args.command == "select-best":
        return select_best_command(args.metric, args.min_improvement, args.dry_run)
    elif args.command in ("register", "promote"):
        return registry_command(args)
    elif args.command == "check":
        return check_command()
    elif args.command == "retrain-report":
        return retrain_report_command(args.base, args.output)
    elif args.command == "serve":
        return serve_command(args)
    elif args.command == "monitor":
        return monitor_command(args.request_log, args.labels)
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


def select_best_command(metric: str, min_improvement: float, dry_run: bool) -> int:
    """Exit 0 when an experiment was applied, 1 when none beats the guard, 2 on an error."""
    import subprocess

    from pipeline.experiments import choose, param_changes, read_runs

    try:
        head = subprocess.run(
            ["git", "rev-parse", "HEAD"], capture_output=True, text=True, check=True
        ).stdout.strip()
        choice = choose(read_runs(), metric, head)
    except (LookupError, KeyError, subprocess.CalledProcessError) as error:
        print(f"select-best: {error}", file=sys.stderr)
        return 2
    best, baseline = choice.best, choice.baseline
    verdict = (
        f"{best.name}: {metric} {best.metrics[metric]:.4f} vs {baseline.metrics[metric]:.4f} "
        f"for the committed model ({choice.improvement:+.4f}; "
        f"the guard asks {min_improvement:+.4f})"
    )
    if choice.improvement < min_improvement:
        print(f"select-best: no experiment beats the committed model. Best is {verdict}")
        return 1
    print(f"best: {verdict}")
    print("changes:\n  " + "\n  ".join(param_changes(baseline, best) or ["(no param changes)"]))
    if dry_run:
        return 0
    subprocess.run([sys.executable, "-m", "dvc", "exp", "apply", best.name], check=True)
    print("applied to the workspace: review, then `git add -A && git commit`, and `make register`")
    return 0


def check_command() -> int:
    """Exit 0 when every check passes, 1 when one crosses its limit, 2 when it cannot tell."""
    from pipeline import gate
    from pipeline.config import load_params
    from pipeline.errors import PipelineError

    try:
        params = load_params()
        data, model = gate.read_summaries(Path(params.paths.monitoring))
        results = gate.checks(data, model, params.report.gate)
    except (PipelineError, KeyError, TypeError) as error:
        print(f"check: cannot judge the reports: {error!r}", file=sys.stderr)
        return 2
    return print_verdict("check", results, data)


def print_verdict(command: str, results: list, data: dict) -> int:
    failed = [check for check in results if not check.passed]
    batches = ", ".join(data["current"]["batches"])
    if failed:
        print(f"{command}: FAIL, {len(failed)} of {len(results)} checks failed on {batches}")
    else:
        print(f"{command}: pass, all {len(results)} checks passed on {batches}")
    for check in results:
        print(f"  {'pass' if check.passed else 'FAIL'}  {check.describe()}")
    return 1 if failed else 0


def monitor_command(log_file: Path | None, labels_file: Path | None) -> int:
    """The batch gate on served traffic: exit 0 pass, 1 a check failed, 2 cannot tell."""
    import json

    from pipeline import gate, live, monitoring
    from pipeline.config import load_params
    from pipeline.errors import PipelineError
    from pipeline.features import TARGET
    from pipeline.io import write_json
    from pipeline.request_log import RequestLog
    from pipeline.split import read_training_window

    try:
        params = load_params()
        cfg, paths = params.serve, params.paths
        columns = monitoring.Columns(
            list(params.features.categorical), list(params.features.numeric), TARGET
        )
        wanted = ["batch", *columns.selected(with_target=True)]
        reference = read_training_window(paths, wanted)
        log = RequestLog(log_file or cfg.request_log, cfg.rotate_bytes)
        traffic = live.traffic_frame(live.read_jsonl(log.files()), columns.selected(False))
        labels = Path(labels_file or cfg.labels)
        if labels.exists():
            traffic = live.join_labels(traffic, live.read_jsonl([labels]))
        out = Path(cfg.monitor_dir)
        # Labels arrive for some rows only: they score the live model below, while the drift
        # report compares inputs alone.
        data, details = monitoring.data_report(
            reference,
            traffic.drop(columns=[TARGET], errors="ignore"),
            columns,
            sample_rows=params.report.sample_rows,
            seed=params.seed,
            threshold=params.report.drift_threshold,
            drift_share=params.report.gate.max_drifted_share,
            out_dir=out,
        )
        metrics_file = Path(paths.evaluation) / "metrics.json"
        holdout = json.loads(metrics_file.read_text())["holdout"] if metrics_file.exists() else {}
        model = live.live_model_summary(traffic, holdout, params.evaluate.threshold)
        write_json(data, out / "data.json")
        write_json(details, out / "data_columns.json")
        write_json(model, out / "model.json")
        results = gate.checks(data, model, params.report.gate)
    except (PipelineError, FileNotFoundError, KeyError) as error:
        print(f"monitor: cannot judge the traffic: {error}", file=sys.stderr)
        return 2
    print(f"monitor: {len(traffic):,} served predictions; reports in {out}/")
    return print_verdict("monitor", results, data)


def retrain_report_command(base: str, output: Path | None) -> int:
    import os

    from pipeline.config import load_params
    from pipeline.retrain import pr_body

    run_url = None
    if os.environ.get("GITHUB_RUN_ID") and not os.environ.get("ACT"):
        run_url = "{GITHUB_SERVER_URL}/{GITHUB_REPOSITORY}/actions/runs/{GITHUB_RUN_ID}".format(
            **os.environ
        )
    try:
        body = pr_body(base, Path(load_params().paths.monitoring), run_url)
    except FileNotFoundError as error:
        print(
            f"retrain-report: {error.filename} is missing: run `dvc repro` first", file=sys.stderr
        )
        return 2
    if output:
        output.write_text(body)
    else:
        print(body)
    return 0


def serving_model(given: Path | None, cfg, workspace_model: str) -> Path:
    """--model, else serve.model, else the registry's serve.stage version, else the workspace's."""
    from pipeline import registry

    if given or cfg.model:
        return Path(given or cfg.model)
    if cfg.stage:
        fetched = Path("models/serving") / f"{cfg.stage}.skops"
        version = registry.fetch_stage(cfg.stage, fetched)
        if version:
            print(f"serve: {registry.artifact_name()} {version} (stage {cfg.stage})", flush=True)
            return fetched
    print(f"serve: no version in stage {cfg.stage!r}: serving the workspace model", flush=True)
    return Path(workspace_model)


def serve_command(args) -> int:
    import uvicorn

    from pipeline.config import load_params
    from pipeline.errors import PipelineError
    from pipeline.request_log import RequestLog
    from pipeline.serve import ModelSet, about_workspace, create_app

    params = load_params()
    cfg = params.serve
    candidate = args.candidate or (Path(cfg.candidate) if cfg.candidate else None)
    share = cfg.candidate_share if args.candidate_share is None else args.candidate_share
    try:
        served = ModelSet(serving_model(args.model, cfg, params.paths.model), candidate, share)
        app = create_app(
            served,
            threshold=params.evaluate.threshold,
            max_rows=cfg.max_rows,
            max_body_bytes=cfg.max_body_bytes,
            log=RequestLog(args.request_log or cfg.request_log, cfg.rotate_bytes),
            about=about_workspace(params),
        )
    except (PipelineError, FileNotFoundError) as error:
        print(f"serve: {error}", file=sys.stderr)
        return 1
    uvicorn.run(app, host=cfg.host, port=args.port or cfg.port, log_level="warning")
    return 0


def registry_command(args) -> int:
    from pipeline import registry
    from pipeline.errors import PipelineError

    try:
        if args.command == "register":
            version = registry.register(args.message)
            print(f"registered {registry.artifact_name()} {version}")
            print(f"next: make promote STAGE=prod VERSION={version}")
        else:
            version = registry.promote(args.stage, args.version)
            name = registry.artifact_name()
            print(f"{name} {version} is now in stage {args.stage}")
            print(f"fetch it with: dvc artifacts get . {name} --stage {args.stage}")
    except PipelineError as error:
        print(f"{args.command}: {error}", file=sys.stderr)
        return 1
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
