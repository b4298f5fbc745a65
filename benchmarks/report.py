"""Benchmark: the data report (Evidently quality + drift) with and without sampling.

Reference: the labelled flights of January-June (about 160k rows); current: July (about 29k),
features built in this process from the example data. Each setting runs `--repeat` times,
alternating, and the medians are compared. Evidently's import is timed on its own, once, in
a fresh interpreter. Writes reports/bench/report.json and prints a short table.

    python benchmarks/report.py [--repeat N] [--sample-rows N]
"""

from __future__ import annotations

import argparse
import json
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
OUT = ROOT / "reports" / "bench" / "report.json"


def features(batches: list[str], dataset: dict):
    """The example's features as the estimator sees them (derived columns included)."""
    from pipeline.examples.flights.cleaning import mask_impossible_readings
    from pipeline.examples.flights.features import join_weather_and_label
    from pipeline.examples.flights.package import read_months
    from pipeline.monitoring.evidently_reports import model_view

    tables, _ = mask_impossible_readings(read_months(batches), dataset["options"])
    joined = join_weather_and_label(tables, dataset["options"])
    return model_view(joined[joined[dataset["target"]].notna()], dataset["derived"])


def import_seconds() -> float:
    code = "import time; t = time.perf_counter(); import pipeline.monitoring.evidently_reports; "
    code += "print(time.perf_counter() - t)"
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    return float(done.stdout)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--sample-rows", type=int, default=50_000)
    args = parser.parse_args()

    import yaml

    from pipeline.monitoring import evidently_reports as monitoring

    dataset = yaml.safe_load((ROOT / "params.yaml").read_text())["dataset"]
    report = yaml.safe_load((ROOT / "conf" / "report" / "default.yaml").read_text())
    conf = dataset["features"]
    columns = monitoring.Columns(conf["categorical"], conf["numeric"], dataset["target"])
    reference = features([f"2013-{month:02d}" for month in range(1, 7)], dataset)
    current = features(["2013-07"], dataset)
    settings = {"sampled": args.sample_rows, "every row": None}
    times: dict[str, list[float]] = {name: [] for name in settings}
    drifted: dict[str, list[str]] = {}
    with tempfile.TemporaryDirectory() as tmp:
        for _ in range(args.repeat):
            for name, rows in settings.items():
                started = time.perf_counter()
                summary, _ = monitoring.data_report(
                    reference,
                    current,
                    columns,
                    sample_rows=rows,
                    seed=42,
                    threshold=report["drift_threshold"],
                    drift_share=report["gate"]["max_drifted_share"],
                    out_dir=Path(tmp),
                )
                times[name].append(time.perf_counter() - started)
                drifted[name] = summary["drift"]["drifted_columns"]
                print(f"  {name:<10} {times[name][-1]:6.1f} s", flush=True)
    medians = {name: statistics.median(values) for name, values in times.items()}
    result = {
        "reference_rows": len(reference),
        "current_rows": len(current),
        "sample_rows": args.sample_rows,
        "repeat": args.repeat,
        "seconds": times,
        "median_seconds": medians,
        "unsampled_over_sampled": medians["every row"] / medians["sampled"],
        "import_seconds": import_seconds(),
        # Sampling must not change the verdict: the same columns drift either way.
        "drifted_columns": drifted,
    }
    OUT.parent.mkdir(parents=True, exist_ok=True)
    OUT.write_text(json.dumps(result, indent=2) + "\n")
    print(
        f"data report, {len(reference):,} reference vs {len(current):,} current rows:\n"
        f"  sampled to {args.sample_rows:,} per side: {medians['sampled']:.1f} s\n"
        f"  every row:                    {medians['every row']:.1f} s\n"
        f"  ratio every row / sampled:    {result['unsampled_over_sampled']:.2f}\n"
        f"  importing Evidently:          {result['import_seconds']:.1f} s (once per stage)\n"
        f"  same drifted columns:         {drifted['sampled'] == drifted['every row']}\n"
        f"wrote {OUT.relative_to(ROOT)}"
    )


if __name__ == "__main__":
    main()
