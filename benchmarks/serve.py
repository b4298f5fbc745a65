"""Benchmark: latency of one-row requests and throughput of 1,000-row batches over loopback.

Starts the real server (`python -m pipeline.cli serve`) on the workspace model, then drives
it from a second process with a bounded number of concurrent clients. Writes
reports/bench/serve.json and prints a short table. Needs `dvc repro` (or `make run`) first.

    python benchmarks/serve.py [--requests N] [--concurrency C]
"""

from __future__ import annotations

import argparse
import json
import os
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
OUT = ROOT / "reports" / "bench" / "serve.json"


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def post(url: str, body: bytes) -> float:
    started = time.perf_counter()
    request = urllib.request.Request(url, data=body, headers={"content-type": "application/json"})
    with urllib.request.urlopen(request, timeout=60) as response:
        response.read()
        assert response.status == 200
    return time.perf_counter() - started


def rows(count: int) -> list[dict]:
    import pandas as pd
    import yaml

    features = yaml.safe_load((ROOT / "conf/features/default.yaml").read_text())
    columns = features["categorical"] + features["numeric"]
    frame = pd.read_parquet(ROOT / "data/processed/holdout.parquet", columns=columns).head(count)
    records = frame.astype(object).to_dict(orient="records")
    return [{k: (None if pd.isna(v) else v) for k, v in r.items()} for r in records]


def percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(share * len(ordered)))]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--requests", type=int, default=2000, help="one-row requests")
    parser.add_argument("--batches", type=int, default=40, help="1,000-row requests")
    parser.add_argument("--concurrency", type=int, default=4)
    args = parser.parse_args()

    port = free_port()
    with tempfile.TemporaryDirectory() as tmp:
        server = subprocess.Popen(
            [
                *(sys.executable, "-m", "pipeline.cli", "serve", "--port", str(port)),
                *("--request-log", str(Path(tmp) / "requests.jsonl")),
            ],
            cwd=ROOT,
            env=os.environ,
        )
        base = f"http://127.0.0.1:{port}"
        try:
            for _ in range(240):
                try:
                    urllib.request.urlopen(base + "/health", timeout=1)
                    break
                except OSError:
                    time.sleep(0.5)
            one = json.dumps({"rows": rows(1)}).encode()
            batch = json.dumps({"rows": rows(1000)}).encode()
            for _ in range(50):  # warm-up
                post(base + "/predict", one)
            with ThreadPoolExecutor(args.concurrency) as pool:
                started = time.perf_counter()
                single = list(
                    pool.map(lambda _: post(base + "/predict", one), range(args.requests))
                )
                single_wall = time.perf_counter() - started
                started = time.perf_counter()
                batches = list(
                    pool.map(lambda _: post(base + "/predict", batch), range(args.batches))
                )
                batch_wall = time.perf_counter() - started
        finally:
            server.terminate()
            server.wait(timeout=30)
    result = {
        "concurrency": args.concurrency,
        "one_row": {
            "requests": args.requests,
            "p50_ms": statistics.median(single) * 1000,
            "p99_ms": percentile(single, 0.99) * 1000,
            "requests_per_s": args.requests / single_wall,
        },
        "batch_1000": {
            "requests": args.batches,
            "p50_ms": statistics.median(batches) * 1000,
            "p99_ms": percentile(batches, 0.99) * 1000,
            "rows_per_s": args.batches * 1000 / batch_wall,
        },
    }
    OUT.parent.mkdir(parents=True, exist_ok=True)
    OUT.write_text(json.dumps(result, indent=2) + "\n")
    print(
        f"serving, {args.concurrency} concurrent clients on loopback:\n"
        f"  one row:     p50 {result['one_row']['p50_ms']:.1f} ms, "
        f"p99 {result['one_row']['p99_ms']:.1f} ms, "
        f"{result['one_row']['requests_per_s']:.0f} requests/s\n"
        f"  1,000 rows:  p50 {result['batch_1000']['p50_ms']:.0f} ms, "
        f"p99 {result['batch_1000']['p99_ms']:.0f} ms, "
        f"{result['batch_1000']['rows_per_s']:,.0f} rows/s\n"
        f"wrote {OUT.relative_to(ROOT)}"
    )


if __name__ == "__main__":
    main()
