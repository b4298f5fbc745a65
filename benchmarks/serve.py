"""Benchmark: latency of one-row requests and throughput of 1,000-row batches over loopback.

Starts the real server (`python -m pipeline.cli serve`) on the workspace model, with one
worker process and then with two, and drives each from a second process twice: one client
sending requests one after another (the latency target), then `--concurrency` clients at
once. Writes reports/bench/serve.json and prints a short table. Needs `dvc repro` (or
`make run`) first.

    python benchmarks/serve.py [--requests N] [--batches N] [--concurrency C]
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
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
OUT = ROOT / "reports" / "bench" / "serve.json"
BATCH_ROWS = 1000


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def post(url: str, body: bytes) -> float:
    """Seconds for one request on a new connection, as a plain HTTP client sends it."""
    started = time.perf_counter()
    request = urllib.request.Request(url, data=body, headers={"content-type": "application/json"})
    with urllib.request.urlopen(request, timeout=60) as response:
        response.read()
        assert response.status == 200
    return time.perf_counter() - started


def rows(count: int) -> list[dict]:
    import pandas as pd
    import yaml

    from pipeline.modeling.derived import input_columns

    dataset = yaml.safe_load((ROOT / "params.yaml").read_text())["dataset"]
    features = dataset["features"]
    columns = input_columns(features["categorical"], features["numeric"], dataset["derived"])
    frame = pd.read_parquet(ROOT / "data/processed/holdout.parquet", columns=columns).head(count)
    records = frame.astype(object).to_dict(orient="records")
    return [{k: (None if pd.isna(v) else v) for k, v in r.items()} for r in records]


def percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(share * len(ordered)))]


def wait_until_ready(server: subprocess.Popen, base: str) -> None:
    """Up to two minutes on a loaded machine; stop at once if the server exits."""
    for _ in range(240):
        if server.poll() is not None:
            raise SystemExit(f"the server exited with code {server.returncode}")
        try:
            urllib.request.urlopen(base + "/health", timeout=1)
            return
        except OSError:
            time.sleep(0.5)
    raise SystemExit(f"the server did not answer {base}/health within two minutes")


@contextmanager
def running_server(log_file: Path, workers: int) -> Iterator[str]:
    """The real server on a free port, ready to answer; its base URL."""
    port = free_port()
    server = subprocess.Popen(
        [
            *(sys.executable, "-m", "pipeline.cli", "serve", "--port", str(port)),
            *("--request-log", str(log_file), "--workers", str(workers)),
        ],
        cwd=ROOT,
        env=os.environ,
    )
    base = f"http://127.0.0.1:{port}"
    try:
        wait_until_ready(server, base)
        yield base
    finally:
        server.terminate()
        server.wait(timeout=30)


def drive(url: str, body: bytes, requests: int, clients: int) -> dict[str, Any]:
    """Send `requests` copies of `body` from `clients` clients; latency and throughput."""
    started = time.perf_counter()
    if clients == 1:
        latencies = [post(url, body) for _ in range(requests)]
    else:
        with ThreadPoolExecutor(clients) as pool:
            latencies = list(pool.map(lambda _: post(url, body), range(requests)))
    wall = time.perf_counter() - started
    return {
        "requests": requests,
        "p50_ms": statistics.median(latencies) * 1000,
        "p99_ms": percentile(latencies, 0.99) * 1000,
        "requests_per_s": requests / wall,
    }


def measure(
    url: str, one: bytes, batch: bytes, args: argparse.Namespace, clients: int
) -> dict[str, Any]:
    single = drive(url, one, args.requests, clients)
    batches = drive(url, batch, args.batches, clients)
    batches["rows_per_s"] = batches["requests_per_s"] * BATCH_ROWS
    return {"clients": clients, "one_row": single, "batch_1000": batches}


def table(result: dict[str, Any]) -> str:
    lines = [
        "serving over loopback (ms):",
        f"  {'workers':>7}  {'clients':>7}  {'one row p50':>11}  {'p99':>6}  {'requests/s':>10}"
        f"  {'1,000 rows p50':>14}  {'p99':>6}  {'rows/s':>8}",
    ]
    for workers, cases in ((1, result), (2, result["two_workers"])):
        for case in ("sequential", "concurrent"):
            one, batch = cases[case]["one_row"], cases[case]["batch_1000"]
            lines.append(
                f"  {workers:>7}  {cases[case]['clients']:>7}  {one['p50_ms']:>11.1f}"
                f"  {one['p99_ms']:>6.1f}  {one['requests_per_s']:>10.0f}"
                f"  {batch['p50_ms']:>14.0f}  {batch['p99_ms']:>6.0f}  {batch['rows_per_s']:>8,.0f}"
            )
    return "\n".join(lines)


def measure_workers(workers: int, one: bytes, batch: bytes, args, tmp: str) -> dict[str, Any]:
    with running_server(Path(tmp) / f"log-{workers}.jsonl", workers) as base:
        url = base + "/predict"
        for _ in range(50):  # warm-up
            post(url, one)
        return {
            "sequential": measure(url, one, batch, args, clients=1),
            "concurrent": measure(url, one, batch, args, clients=args.concurrency),
        }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--requests", type=int, default=2000, help="one-row requests per case")
    parser.add_argument("--batches", type=int, default=40, help="1,000-row requests per case")
    parser.add_argument("--concurrency", type=int, default=4, help="clients in the second case")
    args = parser.parse_args()

    one = json.dumps({"rows": rows(1)}).encode()
    batch = json.dumps({"rows": rows(BATCH_ROWS)}).encode()
    load_before = os.getloadavg()[0]
    with tempfile.TemporaryDirectory() as tmp:
        # The single-worker figures stay at the top level, where the latency target reads them.
        result: dict[str, Any] = measure_workers(1, one, batch, args, tmp)
        result["two_workers"] = measure_workers(2, one, batch, args, tmp)
    rows_per_s = {
        workers: cases["concurrent"]["batch_1000"]["rows_per_s"]
        for workers, cases in ((1, result), (2, result["two_workers"]))
    }
    result["rows_per_s_two_workers_over_one"] = rows_per_s[2] / rows_per_s[1]
    # The machine is shared: the load average says how quiet it was.
    result["load_average"] = {"before": load_before, "after": os.getloadavg()[0]}
    OUT.parent.mkdir(parents=True, exist_ok=True)
    OUT.write_text(json.dumps(result, indent=2) + "\n")
    print(f"{table(result)}\nwrote {OUT.relative_to(ROOT)}")


if __name__ == "__main__":
    main()
