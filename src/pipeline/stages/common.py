"""What every stage shares: params, one summary log line, and clean failures."""

from __future__ import annotations

import atexit
import gc
import logging
import sys
import time
from collections.abc import Callable

from omegaconf import DictConfig
from omegaconf.errors import ConfigAttributeError, ConfigKeyError

from pipeline.config import stage_params
from pipeline.errors import PipelineError

log = logging.getLogger("pipeline")


def run_stage(name: str, body: Callable[[DictConfig], str]) -> None:
    """Run one stage with only its declared params; log its summary or exit 1 with the reason."""
    logging.basicConfig(level=logging.INFO, format="%(message)s", stream=sys.stderr)
    # A stage's process ends when it does. Python's shutdown then searches every object the
    # imports made for reference cycles: about a second after scikit-learn or Evidently, in
    # every stage. Frozen objects are left out of that search; the atexit handlers before this
    # one, and the closing of files and streams, still run.
    atexit.register(gc.freeze)
    started = time.perf_counter()
    try:
        summary = body(stage_params(name))
    except (ConfigAttributeError, ConfigKeyError) as error:
        key = getattr(error, "full_key", None) or str(error).splitlines()[0]
        log.error(
            "%s: reads param %r, which dvc.yaml does not declare for this stage; "
            "add it to stages.%s.params",
            name,
            key,
            name,
        )
        sys.exit(1)
    except (PipelineError, FileNotFoundError) as error:
        log.error("%s failed: %s", name, error)
        sys.exit(1)
    log.info("%s: %s (%.1fs)", name, summary, time.perf_counter() - started)
