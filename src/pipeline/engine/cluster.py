"""The Dask cluster a run uses: an existing one by address, or a LocalCluster for the run.

`DASK_SCHEDULER_ADDRESS` (or `engine.scheduler_address`) connects to a cluster that runs
elsewhere (dask-jobqueue, Kubernetes, `dask scheduler` + `dask worker`); without one, a
LocalCluster sized to the machine starts and stops with the run. Nothing else in the
package starts or finds a cluster.
"""

from __future__ import annotations

import importlib.util
import logging
import os
from collections.abc import Iterator, Mapping
from contextlib import contextmanager

from pipeline import progress

SCHEDULER_ENV = "DASK_SCHEDULER_ADDRESS"
CONNECT_SECONDS = 30


def scheduler_address(engine: Mapping) -> str | None:
    """Where an existing cluster's scheduler listens, if one is configured."""
    return os.environ.get(SCHEDULER_ENV) or engine.get("scheduler_address") or None


@contextmanager
def dask_client(engine: Mapping) -> Iterator:
    """A `distributed.Client` for the run; a LocalCluster it started is closed on exit."""
    from distributed import Client, LocalCluster

    # A stage logs at INFO; the cluster's own chatter (workers starting, comms closing) is not
    # the stage's news.
    logging.getLogger("distributed").setLevel(logging.WARNING)
    logging.getLogger("distributed.shuffle").setLevel(logging.ERROR)
    address = scheduler_address(engine)
    if address:
        with Client(address, timeout=CONNECT_SECONDS) as client:
            announce(client, f"connected to the Dask cluster at {address}")
            yield client
        return
    # The dashboard needs bokeh; without it, none is started (and no warning printed).
    dashboard = "127.0.0.1:0" if importlib.util.find_spec("bokeh") else None
    processes = bool(engine.get("processes"))
    # Thread workers talk in-process (no socket at all); process workers on loopback only.
    where = {"host": "127.0.0.1"} if processes else {}
    with (
        LocalCluster(
            n_workers=engine.get("workers") or os.cpu_count() or 1,
            threads_per_worker=engine.get("threads_per_worker") or 1,
            processes=processes,
            memory_limit=engine.get("memory_limit") or "auto",
            dashboard_address=dashboard,
            **where,
        ) as cluster,
        Client(cluster) as client,
    ):
        workers = len(client.scheduler_info()["workers"])
        announce(client, f"started a local Dask cluster of {workers} workers")
        yield client


def announce(client, what: str) -> None:
    """Say which cluster runs the work, and where its dashboard is, to a person only."""
    link = client.dashboard_link if client.scheduler_info().get("services") else None
    progress.step(what + (f"; dashboard {link}" if link else ""))


def run_tasks(tasks: list[tuple]) -> list:
    """Run `(function, *args)` tasks on the cluster of the active client; results in order.

    Every task ends (done or failed) before this returns or raises, so none still writes
    into an output the stage is discarding; the first failed task in order raises its own
    exception here, as the pandas engine, reading in that order, would have.
    """
    import dask
    from distributed import default_client, wait

    delayed = [dask.delayed(task[0], pure=False)(*task[1:]) for task in tasks]
    try:
        client = default_client()
    except ValueError:  # no cluster: Dask's local threads
        return list(dask.compute(*delayed))
    futures = client.compute(delayed)
    wait(futures)
    for future in futures:
        if future.status == "error":
            future.result()  # raises the task's exception
    return client.gather(futures)
