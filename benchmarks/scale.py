"""Benchmark: the pipeline on both engines as the data grows, stage by stage.

The example's flights upsampled x1, x10, x30 and x100 (the real rows plus rows drawn from
them with a seed, benchmarks/repro.py), landed as files; each (engine, factor) gets a fresh
copy of the repository and one cold `dvc repro` with every stage metered (wall time, peak
RSS of the stage's process tree). The pandas engine runs only up to --pandas-max, beyond
which its whole-table stages would not fit this machine. The dask engine trains
`model=xgboost` on the cluster; the pandas engine trains the same model in memory.

    python benchmarks/scale.py [--factors 1 10 30 100] [--pandas-max 30] [--engines pandas]

Writes reports/bench/scale.json (after every run, so an interrupted one keeps what it
measured) and prints a table, then the data_report stage's peak RSS per factor and its
growth from x1 to x10 (it reads its tables a batch at a time: target <= 1.2).
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
import time
from pathlib import Path

from repro import land_upsampled, metered
from workspace import BENCH_DIR, commit, fresh_repo, sh, timed

OUT = BENCH_DIR / "scale.json"
MEMORY_TARGET_MIB = 8 * 1024
DATA_REPORT = "data_report"


def one_run(tmp: Path, engine: str, factor: int, seed: int) -> dict:
    repo = fresh_repo(tmp / f"{engine}-x{factor}")
    rows = land_upsampled(repo, factor, seed)
    choices = ["source=files", f"engine={engine}", "model=xgboost"]
    sh(sys.executable, "-m", "pipeline.cli", "params", *choices, cwd=repo)
    commit(repo, f"engine={engine}")
    log = tmp / f"{engine}-x{factor}.jsonl"
    metered(repo, log)
    seconds, _ = timed("dvc", "repro", cwd=repo)
    stages = [json.loads(line) for line in log.read_text().splitlines()]
    metrics = json.loads((repo / "reports/evaluate/metrics.json").read_text())
    return {
        "flights": rows,
        "dvc_repro_seconds": round(seconds, 1),
        "stages": {s.pop("stage"): {k: round(v, 1) for k, v in s.items()} for s in stages},
        "peak_rss_mib": round(max(s["peak_rss_mib"] for s in stages), 1),
        "holdout_roc_auc": metrics["holdout"]["roc_auc"],
    }


def summarize(result: dict[str, dict], factors: list[int]) -> dict:
    dask = result["dask"]
    first, last = f"x{min(factors)}", f"x{max(factors)}"
    return {
        "memory_target_mib": MEMORY_TARGET_MIB,
        "dask_largest_peak_rss_mib": (
            max(r["peak_rss_mib"] for r in dask.values()) if dask else None
        ),
        "dask_overhead_at_x1": (
            dask["x1"]["dvc_repro_seconds"] / result["pandas"]["x1"]["dvc_repro_seconds"]
            if "x1" in dask and "x1" in result["pandas"]
            else None
        ),
        # time growth per row growth from the smallest to the largest factor: <= 1 is linear
        "dask_time_growth_per_rows": (
            dask[last]["dvc_repro_seconds"]
            / dask[first]["dvc_repro_seconds"]
            / (dask[last]["flights"] / dask[first]["flights"])
            if first != last and first in dask and last in dask
            else None
        ),
        # The data report reads its tables a batch at a time: its peak should not grow.
        DATA_REPORT: {
            engine: {
                "peak_rss_mib": {
                    factor: run["stages"][DATA_REPORT]["peak_rss_mib"]
                    for factor, run in runs.items()
                },
                "x10_over_x1": (
                    round(
                        runs["x10"]["stages"][DATA_REPORT]["peak_rss_mib"]
                        / runs["x1"]["stages"][DATA_REPORT]["peak_rss_mib"],
                        3,
                    )
                    if "x1" in runs and "x10" in runs
                    else None
                ),
            }
            for engine, runs in result.items()
            if runs
        },
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--factors", type=int, nargs="*", default=[1, 10, 30, 100])
    parser.add_argument("--pandas-max", type=int, default=30)
    parser.add_argument("--engines", nargs="*", choices=["pandas", "dask"], default=None)
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args()
    engines = args.engines or ["pandas", "dask"]
    result: dict[str, dict] = {"pandas": {}, "dask": {}}
    summary = summarize(result, args.factors)
    BENCH_DIR.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(prefix="bench-scale-") as folder:
        for factor in args.factors:
            for engine in engines:
                if engine == "pandas" and factor > args.pandas_max:
                    continue
                started = time.perf_counter()
                result[engine][f"x{factor}"] = one_run(Path(folder), engine, factor, args.seed)
                print(f"{engine} x{factor}: {time.perf_counter() - started:.0f}s", flush=True)
                summary = summarize(result, args.factors)
                OUT.write_text(json.dumps(result | {"summary": summary}, indent=2) + "\n")
    print(f"{'engine':8} {'factor':>6} {'flights':>11} {'seconds':>8} {'peak MiB':>9}  stage peaks")
    for engine, runs in result.items():
        for factor, run in runs.items():
            peaks = ", ".join(f"{s} {v['peak_rss_mib']:.0f}" for s, v in run["stages"].items())
            print(f"{engine:8} {factor:>6} {run['flights']:>11,} {run['dvc_repro_seconds']:>8} "
                  f"{run['peak_rss_mib']:>9}  {peaks}")  # fmt: skip
    for engine, found in summary[DATA_REPORT].items():
        peaks = ", ".join(f"{x} {mib:.0f} MiB" for x, mib in found["peak_rss_mib"].items())
        print(f"{DATA_REPORT} peak RSS, {engine}: {peaks}; x10 / x1 = {found['x10_over_x1']}")
    print(json.dumps({k: v for k, v in summary.items() if k != DATA_REPORT}))


if __name__ == "__main__":
    main()
