"""Benchmark: the pipeline on both engines as the data grows, stage by stage.

The example's flights upsampled x1, x10, x30 and x100 (the real rows plus rows drawn from
them with a seed, benchmarks/repro.py), landed as files; each (engine, factor) gets a fresh
copy of the repository and one cold `dvc repro` with every stage metered (wall time, peak
RSS of the stage's process tree). The pandas engine runs only up to --pandas-max, beyond
which its whole-table stages would not fit this machine. The dask engine trains
`model=xgboost` on the cluster; the pandas engine trains the same model in memory.

    python benchmarks/scale.py [--factors 1 10 30 100] [--pandas-max 30]

Writes reports/bench/scale.json and prints a table.
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


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--factors", type=int, nargs="*", default=[1, 10, 30, 100])
    parser.add_argument("--pandas-max", type=int, default=30)
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args()
    result: dict[str, dict] = {"pandas": {}, "dask": {}}
    with tempfile.TemporaryDirectory(prefix="bench-scale-") as folder:
        for factor in args.factors:
            for engine in ("pandas", "dask"):
                if engine == "pandas" and factor > args.pandas_max:
                    continue
                started = time.perf_counter()
                result[engine][f"x{factor}"] = one_run(Path(folder), engine, factor, args.seed)
                print(f"{engine} x{factor}: {time.perf_counter() - started:.0f}s", flush=True)
    dask = result["dask"]
    first = min(args.factors)
    summary = {
        "memory_target_mib": MEMORY_TARGET_MIB,
        "dask_largest_peak_rss_mib": max(r["peak_rss_mib"] for r in dask.values()),
        "dask_overhead_at_x1": (
            dask["x1"]["dvc_repro_seconds"] / result["pandas"]["x1"]["dvc_repro_seconds"]
            if "x1" in dask and "x1" in result["pandas"]
            else None
        ),
        # time growth per row growth from the smallest to the largest factor: <= 1 is linear
        "dask_time_growth_per_rows": (
            dask[f"x{max(args.factors)}"]["dvc_repro_seconds"]
            / dask[f"x{first}"]["dvc_repro_seconds"]
            / (dask[f"x{max(args.factors)}"]["flights"] / dask[f"x{first}"]["flights"])
            if len(args.factors) > 1
            else None
        ),
    }
    BENCH_DIR.mkdir(parents=True, exist_ok=True)
    OUT.write_text(json.dumps(result | {"summary": summary}, indent=2) + "\n")
    print(f"{'engine':8} {'factor':>6} {'flights':>11} {'seconds':>8} {'peak MiB':>9}  stage peaks")
    for engine, runs in result.items():
        for factor, run in runs.items():
            peaks = ", ".join(f"{s} {v['peak_rss_mib']:.0f}" for s, v in run["stages"].items())
            print(f"{engine:8} {factor:>6} {run['flights']:>11,} {run['dvc_repro_seconds']:>8} "
                  f"{run['peak_rss_mib']:>9}  {peaks}")  # fmt: skip
    print(json.dumps(summary))


if __name__ == "__main__":
    main()
