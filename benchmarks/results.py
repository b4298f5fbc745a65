"""Collect the benchmarks' JSON files into reports/bench/results.json, judged against targets.

Each benchmark writes its own file (repro.json, sweep.json, serve.json, report.json,
scale.json); this
reads whichever exist, checks every target that one of them measured, and prints the table
that is also written to reports/bench/results.md.

    python benchmarks/results.py
"""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass

from workspace import BENCH_DIR, ROOT


@dataclass(frozen=True)
class Target:
    what: str
    benchmark: str  # the file it reads: reports/bench/<benchmark>.json
    key: tuple[str, ...]  # where the value is in that file
    limit: float
    at_most: bool = True
    unit: str = "x"
    per_rows: bool = False  # divide by the row growth of the scale case


TARGETS = [
    Target("cold dvc repro / in one process", "repro", ("cold", "ratio"), 1.5),
    Target("cold pipeline repro -j 2 / in one process", "repro", ("cold", "parallel_ratio"), 1.25),
    Target("cold dvc repro / in one process at x10 rows", "repro", ("scale", "x10", "ratio"), 1.15),
    Target("no-op dvc repro / dvc status", "repro", ("no_op", "ratio"), 1.5),
    Target("one model.* param rerun / cold run", "repro", ("model_change", "share_of_cold"), 0.4),
    Target("the same rerun by pipeline repro -j 2 / cold dvc repro", "repro",
           ("model_change", "parallel_share_of_cold"), 0.45),
    Target("time growth x1 -> x10 / row growth", "repro", ("scale_growth", "seconds"), 1.0,
           per_rows=True),
    Target("memory growth x1 -> x10 / row growth", "repro", ("scale_growth", "peak_rss"), 1.0,
           per_rows=True),
    Target("peak RSS of any stage at x10", "repro", ("scale", "x10", "peak_rss_mib"), 4096,
           unit="MiB"),
    Target("dask engine: peak RSS of any stage, any factor", "scale",
           ("summary", "dask_largest_peak_rss_mib"), 8192, unit="MiB"),
    Target("dask engine: time growth / row growth, smallest to largest", "scale",
           ("summary", "dask_time_growth_per_rows"), 1.0),
    Target("data_report peak RSS x10 / x1 (pandas engine)", "scale",
           ("summary", "data_report", "pandas", "x10_over_x1"), 1.2),
    Target("sweep speed-up with two workers", "sweep", ("speedup_two_workers",), 1.6,
           at_most=False),
    Target("serving p99, one row, one client", "serve", ("sequential", "one_row", "p99_ms"), 25,
           unit="ms"),
]  # fmt: skip


def get(data: dict, keys: tuple[str, ...]) -> float | None:
    for key in keys:
        if not isinstance(data, dict) or key not in data:
            return None
        data = data[key]
    return data


def judge(measured: dict[str, dict]) -> list[dict]:
    rows = []
    for target in TARGETS:
        found = measured.get(target.benchmark, {})
        value = get(found, target.key)
        if value is not None and target.per_rows:
            value /= get(found, ("scale_growth", "rows"))
        met = None
        if value is not None:
            met = value <= target.limit if target.at_most else value >= target.limit
        rows.append(asdict(target) | {"value": value, "met": met})
    return rows


def table(rows: list[dict]) -> str:
    lines = ["| target | measured | limit | met |", "|---|---|---|---|"]
    for row in rows:
        value = "not run" if row["value"] is None else f"{row['value']:.2f} {row['unit']}"
        sign = "<=" if row["at_most"] else ">="
        met = {True: "yes", False: "**no**", None: "-"}[row["met"]]
        lines.append(f"| {row['what']} | {value} | {sign} {row['limit']} {row['unit']} | {met} |")
    return "\n".join(lines)


def main() -> None:
    measured = {
        path.stem: json.loads(path.read_text())
        for path in sorted(BENCH_DIR.glob("*.json"))
        if path.stem != "results"
    }
    rows = judge(measured)
    BENCH_DIR.mkdir(parents=True, exist_ok=True)
    (BENCH_DIR / "results.json").write_text(
        json.dumps({"targets": rows, "benchmarks": measured}, indent=2) + "\n"
    )
    text = table(rows)
    (BENCH_DIR / "results.md").write_text(text + "\n")
    print(text)
    print(f"wrote {(BENCH_DIR / 'results.json').relative_to(ROOT)} and results.md")


if __name__ == "__main__":
    main()
