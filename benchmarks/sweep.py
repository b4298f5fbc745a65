"""Benchmark: a 2x2 sweep run by `dvc queue` with one worker, then with two.

Both runs use the same fresh clone of the committed repository, the full default data and
single-threaded forests, so the ratio measures what a second worker buys. Writes
reports/bench/sweep.json and prints a short table.

    python benchmarks/sweep.py [--repeat N]
"""

from __future__ import annotations

import argparse
import json
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from workspace import BENCH_DIR, ROOT, sh

OUT = BENCH_DIR / "sweep.json"
GRID = [
    "-S", "model=random_forest", "-S", "model.n_jobs=1",
    "-S", "model.n_estimators=100,200", "-S", "model.max_depth=8,16",
]  # fmt: skip


def workers_alive() -> bool:
    """Whether any `dvc exp queue-worker` process runs; they exit once the queue is empty."""
    for cmdline in Path("/proc").glob("[0-9]*/cmdline"):
        try:
            if b"queue-worker" in cmdline.read_bytes():
                return True
        except OSError:
            continue  # the process ended while we looked
    return False


def sweep(repo: Path, workers: int) -> float:
    """Seconds from `dvc queue start` until the four queued experiments have finished."""
    # Without this, DVC's run cache would restore the previous sweep's results untrained.
    shutil.rmtree(repo / ".dvc" / "cache" / "runs", ignore_errors=True)
    sh("dvc", "exp", "remove", "--all-commits", "--queue", cwd=repo)
    sh("dvc", "exp", "run", "--queue", *GRID, cwd=repo)
    started = time.perf_counter()
    # The workers outlive `dvc queue start` and would hold a captured output open forever.
    subprocess.run(
        [sys.executable, "-m", "dvc", "queue", "start", "-j", str(workers)],
        cwd=repo,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        check=True,
    )
    time.sleep(1)
    while workers_alive():  # cheap: polling `dvc queue status` would itself cost a core
        time.sleep(0.2)
    seconds = time.perf_counter() - started
    status = sh("dvc", "queue", "status", cwd=repo)
    if status.count("Success") < 4:
        raise SystemExit(f"the sweep did not succeed:\n{status}")
    sh("dvc", "exp", "remove", "--all-commits", cwd=repo)
    sh("dvc", "queue", "remove", "--all", cwd=repo)
    return seconds


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=1)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="bench-sweep-") as tmp:
        repo = Path(tmp) / "repo"
        sh("git", "clone", "-q", str(ROOT), str(repo), cwd=Path(tmp))
        for empty in ("data/landing", "models/champion"):  # as `make setup` does
            (repo / empty).mkdir(parents=True, exist_ok=True)
        shutil.copytree(ROOT / ".dvc" / "cache", repo / ".dvc" / "cache", dirs_exist_ok=True)
        sh("dvc", "repro", cwd=repo)  # the baseline: upstream stages cached for every experiment
        runs = {"one_worker": [], "two_workers": []}
        for _ in range(args.repeat):  # alternate, so machine noise hits both alike
            runs["one_worker"].append(sweep(repo, 1))
            runs["two_workers"].append(sweep(repo, 2))
    best = {name: min(seconds) for name, seconds in runs.items()}
    result = {
        "experiments": 4,
        "grid": " ".join(GRID),
        "seconds": runs,
        "speedup_two_workers": round(best["one_worker"] / best["two_workers"], 2),
    }
    OUT.parent.mkdir(parents=True, exist_ok=True)
    OUT.write_text(json.dumps(result, indent=2) + "\n")
    print(f"4 experiments, one worker:  {best['one_worker']:.1f} s")
    print(f"4 experiments, two workers: {best['two_workers']:.1f} s")
    print(f"speed-up with -j 2:         {result['speedup_two_workers']:.2f}x  ({OUT})")


if __name__ == "__main__":
    main()
