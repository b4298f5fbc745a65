"""Benchmark: the pipeline under DVC against its limit, a no-op run, a model change, and scale.

1. cold `dvc repro` and cold `pipeline repro -j 2` (independent stages at once), each on a
   fresh copy of the repository, vs the same stages' code in one process
   (benchmarks/inprocess.py) on another: the ratios are what DVC and one process per stage
   cost, sequential and overlapped. At x1 and x10 (`--cold-scales`); all three must leave the
   same dvc.lock, or the benchmark stops;
2. no-op `dvc repro` (everything up to date) vs `dvc status`;
3. one `model.*` param changed: the rerun by `dvc repro` and by `pipeline repro -j 2`, each
   against the sequential cold run, and which stages ran;
4. scale: the flights upsampled x1, x4, x10 (the real rows plus rows drawn from them with a
   seed), landed as files: each stage's wall time and peak memory, and the in-process limit.

Cases 1-3 alternate their sides `--repeat` times (each repeat in another order) and compare
medians. Writes reports/bench/repro.json and prints a short table.

    python benchmarks/repro.py [--repeat N] [--cold-scales 1 10] [--scales 1 4 10]
                               [--scale-repeat N] [--jobs 2]

--repeat 0 skips cases 1-3; --scales with no number skips case 4.
"""

from __future__ import annotations

import argparse
import json
import re
import statistics
import sys
import tempfile
from pathlib import Path

import numpy as np
import pandas as pd
import yaml
from workspace import BENCH_DIR, ROOT, code_version, commit, fresh_repo, sh, stage_names, timed

from pipeline.reporting.run_summary import stages_run

OUT = BENCH_DIR / "repro.json"
MODEL_PARAM = "model.l2_regularization"
# Each model-change repeat sets a value not seen before, so DVC's run cache cannot restore it.
MODEL_VALUES = [0.5, 1.0, 1.5, 2.0, 2.5, 3.0, 3.5, 4.0, 4.5, 5.0]
# Drawn copies of a flight get flight + FLIGHT_OFFSET x copy: no real flight number is that big.
FLIGHT_OFFSET = 10_000


def in_process(repo: Path) -> dict:
    """Run benchmarks/inprocess.py in `repo`: its wall time, and its seconds per stage."""
    env = {"PYTHONHASHSEED": "0"}  # as the Evidently stages run; saves inprocess.py a re-exec
    wall, out = timed(sys.executable, str(ROOT / "benchmarks" / "inprocess.py"), cwd=repo, env=env)
    return json.loads(out.splitlines()[-1]) | {"wall": wall}


def recorded_lock(repo: Path) -> str:
    """The dvc.lock that records `repo`'s outputs as they are (`dvc commit` after a run that
    DVC did not record, like the in-process one)."""
    sh("dvc", "commit", "--force", "--quiet", cwd=repo)
    return (repo / "dvc.lock").read_text()


def parallel_repro(jobs: int) -> list[str]:
    return [sys.executable, "-m", "pipeline.cli", "repro", "-j", str(jobs)]


def cold_three_ways(tmp: Path, repeat: int, factor: int, seed: int, jobs: int) -> tuple[dict, dict]:
    """Per repeat, in a rotating order: a cold `dvc repro`, a cold `pipeline repro -j N` and
    the in-process run, each on its own fresh copy (at x`factor` rows). All three must leave
    the same dvc.lock. Returns the result and the last repeat's repositories by side."""
    sides = ["dvc_repro", "parallel", "in_process"]
    runs: dict[str, list[float]] = {side: [] for side in sides}
    repos: dict[str, Path] = {}
    stages: dict = {}
    for attempt in range(repeat):
        locks = {}
        for side in sides[attempt % 3 :] + sides[: attempt % 3]:
            repo = fresh_repo(tmp / f"x{factor}-{side}-{attempt}")
            if factor > 1:
                land_upsampled(repo, factor, seed)
            if side == "in_process":
                stages = in_process(repo)
                runs[side].append(stages["wall"])
            else:
                command = ["dvc", "repro"] if side == "dvc_repro" else parallel_repro(jobs)
                runs[side].append(timed(*command, cwd=repo)[0])
            locks[side] = recorded_lock(repo)
            repos[side] = repo
        if len(set(locks.values())) != 1:
            raise SystemExit(f"the three runs at x{factor} left different dvc.lock files: {repos}")
    medians = {name: statistics.median(values) for name, values in runs.items()}
    return {
        "jobs": jobs,
        "seconds": runs,
        "median_seconds": medians,
        "ratio": medians["dvc_repro"] / medians["in_process"],
        "parallel_ratio": medians["parallel"] / medians["in_process"],
        "in_process_stage_seconds": stages["stages"],
        "in_process_import_seconds": stages["imports"],
    }, repos


def no_op(repo: Path, repeat: int) -> dict:
    """`dvc repro` with nothing to do vs `dvc status`, alternating."""
    runs: dict[str, list[float]] = {"dvc_repro": [], "dvc_status": []}
    for _ in range(repeat):
        seconds, out = timed("dvc", "repro", cwd=repo)
        if stages_run(out)[0]:
            raise SystemExit(f"a no-op dvc repro ran stages:\n{out}")
        runs["dvc_repro"].append(seconds)
        runs["dvc_status"].append(timed("dvc", "status", cwd=repo)[0])
    medians = {name: statistics.median(values) for name, values in runs.items()}
    return {
        "seconds": runs,
        "median_seconds": medians,
        "ratio": medians["dvc_repro"] / medians["dvc_status"],
    }


def model_change(repos: dict[str, Path], repeat: int, cold_seconds: float, jobs: int) -> dict:
    """Change one model param (a value not run before) and rerun, by `dvc repro` in one
    repository and by `pipeline repro -j N` in another, alternating; record what ran."""
    runs: dict[str, list[float]] = {"dvc_repro": [], "parallel": []}
    ran: list[str] = []
    for attempt, value in enumerate(MODEL_VALUES[:repeat]):
        sides = ["dvc_repro", "parallel"][:: 1 if attempt % 2 == 0 else -1]
        for side in sides:
            repo = repos[side]
            sh(sys.executable, "-m", "pipeline.cli", "params", f"{MODEL_PARAM}={value}", cwd=repo)
            command = ["dvc", "repro"] if side == "dvc_repro" else parallel_repro(jobs)
            seconds, out = timed(*command, cwd=repo)
            runs[side].append(seconds)
            ran = stages_run(out)[0]
    medians = {side: statistics.median(values) for side, values in runs.items()}
    return {
        "param": MODEL_PARAM,
        "values": MODEL_VALUES[:repeat],
        "seconds": runs,
        "median_seconds": medians["dvc_repro"],
        "parallel_median_seconds": medians["parallel"],
        "stages_ran": ran,
        "share_of_cold": medians["dvc_repro"] / cold_seconds,
        "parallel_share_of_cold": medians["parallel"] / cold_seconds,
    }


def upsample(flights: pd.DataFrame, factor: int, seed: int) -> pd.DataFrame:
    """The real flights, plus (factor - 1) times as many drawn from them with replacement.

    A drawn row gets its flight number plus FLIGHT_OFFSET x its copy number, so every flight
    key stays unique (the raw contract requires it) while every value stays a real one.
    """
    if factor == 1:
        return flights
    picks = np.random.default_rng(seed).integers(0, len(flights), (factor - 1) * len(flights))
    drawn = flights.iloc[picks].reset_index(drop=True)
    copy = pd.Series(picks).groupby(picks).cumcount().to_numpy() + 1
    drawn["flight"] = drawn["flight"] + FLIGHT_OFFSET * copy
    both = pd.concat([flights, drawn], ignore_index=True)
    return both.sort_values("batch", kind="stable", ignore_index=True)


def land_upsampled(repo: Path, factor: int, seed: int) -> int:
    """Write the upsampled months as Parquet files in data/landing and switch to that source."""
    from pipeline.examples.flights.package import read_months

    batches = yaml.safe_load((repo / "params.yaml").read_text())["source"]["batches"]
    tables = read_months(batches)
    flights, weather = tables["flights"], tables["weather"]
    flights = upsample(flights, factor, seed)
    landing = repo / "data" / "landing"
    (landing / "flights").mkdir(parents=True, exist_ok=True)
    (landing / "weather").mkdir(parents=True, exist_ok=True)
    for batch, rows in flights.groupby("batch", sort=True):
        rows.to_parquet(landing / "flights" / f"{batch}.parquet", index=False)
    weather.to_parquet(landing / "weather" / "weather.parquet", index=False)
    sh(sys.executable, "-m", "pipeline.cli", "params", "source=files", cwd=repo)
    sh("dvc", "add", "data/landing", cwd=repo)
    commit(repo, f"flights x{factor}")
    return len(flights)


def metered(repo: Path, log: Path) -> None:
    """Put benchmarks/meter.py in front of every stage's cmd in this copy's dvc.yaml."""
    dvc_file = repo / "dvc.yaml"
    text = dvc_file.read_text()
    for name, stage in yaml.safe_load(text)["stages"].items():
        meter = f"python {ROOT / 'benchmarks' / 'meter.py'} {name} {log} -- "
        text, count = re.subn(
            rf"(?m)^(\s+cmd: ){re.escape(stage['cmd'])}$", rf"\g<1>{meter}{stage['cmd']}", text
        )
        if count != 1:
            raise SystemExit(f"could not find the cmd of stage {name!r} in dvc.yaml")
    dvc_file.write_text(text)
    commit(repo, "metered stages")


def scale(tmp: Path, factors: list[int], repeat: int, seed: int) -> dict:
    """Per factor: each stage's time and peak memory under `dvc repro`, and the limit."""
    result: dict[str, dict] = {}
    for factor in factors:
        repo = fresh_repo(tmp / f"scale-{factor}")
        rows = land_upsampled(repo, factor, seed)
        log = tmp / f"stages-{factor}.jsonl"
        metered(repo, log)
        pipeline, limit = [], []
        for attempt in range(repeat):
            log.unlink(missing_ok=True)
            force = ["--force"] if attempt else []  # later repeats rerun every stage
            pipeline.append(timed("dvc", "repro", *force, cwd=repo)[0])
            limit_run = in_process(repo)
            limit.append(limit_run["wall"])
        stages = [json.loads(line) for line in log.read_text().splitlines()]  # the last run
        result[f"x{factor}"] = {
            "flights": rows,
            "dvc_repro_seconds": statistics.median(pipeline),
            "in_process_seconds": statistics.median(limit),
            "ratio": statistics.median(pipeline) / statistics.median(limit),
            "stages": {s.pop("stage"): {k: round(v, 2) for k, v in s.items()} for s in stages},
            "in_process_stage_seconds": limit_run["stages"],
            "in_process_import_seconds": limit_run["imports"],
        }
        result[f"x{factor}"]["peak_rss_mib"] = max(
            s["peak_rss_mib"] for s in result[f"x{factor}"]["stages"].values()
        )
    return result


def growth(scaled: dict) -> dict:
    """How time and memory grow from x1 to the largest factor, against rows."""
    factors = sorted(scaled, key=lambda name: int(name[1:]))  # "x1", "x4", "x10"
    first, last = scaled[factors[0]], scaled[factors[-1]]
    rows = last["flights"] / first["flights"]
    return {
        "rows": round(rows, 2),
        "seconds": round(last["dvc_repro_seconds"] / first["dvc_repro_seconds"], 2),
        "peak_rss": round(last["peak_rss_mib"] / first["peak_rss_mib"], 2),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--cold-scales", type=int, nargs="*", default=[1, 10])
    parser.add_argument("--jobs", type=int, default=2, help="of pipeline repro (default 2)")
    parser.add_argument("--scales", type=int, nargs="*", default=[1, 4, 10])
    parser.add_argument("--scale-repeat", type=int, default=1)
    args = parser.parse_args()
    seed = yaml.safe_load((ROOT / "params.yaml").read_text())["seed"]
    result: dict = {"code": code_version(), "stages": stage_names(ROOT)}
    with tempfile.TemporaryDirectory(prefix="bench-repro-") as name:
        tmp = Path(name)
        if args.repeat:
            for factor in args.cold_scales:
                key = "cold" if factor == 1 else f"cold_x{factor}"
                result[key], repos = cold_three_ways(tmp, args.repeat, factor, seed, args.jobs)
                print(f"{key}: {json.dumps(result[key]['median_seconds'])}", flush=True)
                if factor == 1:
                    result["no_op"] = no_op(repos["dvc_repro"], args.repeat)
                    cold = result["cold"]["median_seconds"]["dvc_repro"]
                    change = model_change(repos, args.repeat, cold, args.jobs)
                    result["model_change"] = change
                    print(f"model change: {json.dumps(change['seconds'])}", flush=True)
        if args.scales:
            result["scale"] = scale(tmp, args.scales, args.scale_repeat, seed)
            result["scale_growth"] = growth(result["scale"])
    OUT.parent.mkdir(parents=True, exist_ok=True)
    OUT.write_text(json.dumps(result, indent=2) + "\n")
    print(table(result))
    print(f"wrote {OUT.relative_to(ROOT)}")


def table(result: dict) -> str:
    lines = []
    lines += cases_table(result)
    for factor, row in result.get("scale", {}).items():
        lines.append(
            f"{factor:>4}: {row['flights']:>9,} flights, dvc repro {row['dvc_repro_seconds']:6.1f}"
            f" s, in one process {row['in_process_seconds']:6.1f} s (ratio {row['ratio']:.2f}),"
            f" peak RSS {row['peak_rss_mib']:,.0f} MiB"
        )
    return "\n".join(lines)


def cases_table(result: dict) -> list[str]:
    lines = []
    for key in [key for key in result if key == "cold" or key.startswith("cold_x")]:
        cold = result[key]
        seconds = cold["median_seconds"]
        lines.append(
            f"{key}: dvc repro {seconds['dvc_repro']:.1f} s, pipeline repro -j {cold['jobs']} "
            f"{seconds['parallel']:.1f} s, in one process {seconds['in_process']:.1f} s: ratios "
            f"{cold['ratio']:.2f} and {cold['parallel_ratio']:.2f}"
        )
    if "no_op" in result:
        noop, change = result["no_op"], result["model_change"]
        lines += [
            f"no-op dvc repro {noop['median_seconds']['dvc_repro']:.2f} s, dvc status "
            f"{noop['median_seconds']['dvc_status']:.2f} s: ratio {noop['ratio']:.2f}",
            f"{change['param']} changed: dvc repro {change['median_seconds']:.1f} s "
            f"({change['share_of_cold']:.0%} of cold), pipeline repro "
            f"{change['parallel_median_seconds']:.1f} s ({change['parallel_share_of_cold']:.0%}); "
            f"ran {', '.join(change['stages_ran'])}",
        ]
    return lines


if __name__ == "__main__":
    main()
