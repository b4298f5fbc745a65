"""Run one stage's command and append its wall time and peak memory to a JSON-lines file.

The scale benchmark puts this in front of every stage's cmd in its own copy of dvc.yaml:

    python benchmarks/meter.py STAGE LOG -- COMMAND...
"""

from __future__ import annotations

import json
import resource
import subprocess
import sys
import time


def main() -> int:
    stage, log, separator, *command = sys.argv[1:]
    if separator != "--" or not command:
        raise SystemExit(__doc__)
    started = time.perf_counter()
    code = subprocess.call(" ".join(command), shell=True)
    seconds = time.perf_counter() - started
    # ru_maxrss of waited-for children: the largest resident set any of them reached, in KiB.
    peak_kib = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
    with open(log, "a") as out:
        out.write(json.dumps({"stage": stage, "seconds": seconds, "peak_rss_mib": peak_kib / 1024}))
        out.write("\n")
    return code


if __name__ == "__main__":
    sys.exit(main())
