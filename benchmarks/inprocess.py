"""The limit a pipeline run is measured against: every stage's code in one Python process.

Runs each stage's `main` in dvc.yaml's order with the params dvc.yaml declares for it, on the
same data, writing the same outputs, with no DVC and no process per stage. Run it from the
root of a repository; it prints one JSON object: seconds per stage and for the imports.

    python benchmarks/inprocess.py
"""

from __future__ import annotations

import importlib
import json
import os
import sys
import time

STARTED = time.perf_counter()

import yaml  # noqa: E402

from pipeline.config import DVC_FILE, stage_params  # noqa: E402


def main() -> None:
    if os.environ.get("PYTHONHASHSEED") != "0":
        # dvc.yaml runs the Evidently stages with it, for byte-identical reports: so must we.
        os.execve(sys.executable, [sys.executable, *sys.argv], os.environ | {"PYTHONHASHSEED": "0"})
    names = list(yaml.safe_load(DVC_FILE.read_text())["stages"])
    seconds: dict[str, float] = {}
    imports = 0.0
    for name in names:
        started = time.perf_counter()
        stage = importlib.import_module(f"pipeline.stages.{name}")
        imports += time.perf_counter() - started
        started = time.perf_counter()
        stage.main(stage_params(name))
        seconds[name] = round(time.perf_counter() - started, 3)
    total = time.perf_counter() - STARTED
    print(json.dumps({"stages": seconds, "imports": round(imports, 3), "total": round(total, 3)}))


if __name__ == "__main__":
    main()
