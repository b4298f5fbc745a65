"""The Dask cluster of engine=dask: a LocalCluster for the run, or a real scheduler and worker
started as separate processes on 127.0.0.1 and reached through DASK_SCHEDULER_ADDRESS."""

from __future__ import annotations

import subprocess
import sys
import time

import pandas as pd
import pytest
from server import free_port

from pipeline.engine.cluster import SCHEDULER_ENV, dask_client

pytestmark = [pytest.mark.slow, pytest.mark.dask]


def total_on(client) -> int:
    import dask.dataframe as dd

    frame = dd.from_pandas(pd.DataFrame({"rows": range(1000)}), npartitions=4)
    return int(client.compute(frame["rows"].sum()).result())


def test_a_local_cluster_starts_for_the_run_and_stops_after(monkeypatch):
    monkeypatch.delenv(SCHEDULER_ENV, raising=False)
    with dask_client({"workers": 2, "threads_per_worker": 1, "processes": False}) as client:
        assert len(client.scheduler_info()["workers"]) == 2
        assert total_on(client) == sum(range(1000))
        cluster = client.cluster
    assert cluster.status.name == "closed"


def test_a_running_cluster_is_reached_through_the_environment(monkeypatch):
    port = free_port()
    address = f"tcp://127.0.0.1:{port}"
    dask = [sys.executable, "-m", "distributed.cli"]
    scheduler = subprocess.Popen(
        [*dask[:2], "distributed.cli.dask_scheduler", "--host", "127.0.0.1", "--port", str(port),
         "--no-dashboard"],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )  # fmt: skip
    worker = subprocess.Popen(
        [*dask[:2], "distributed.cli.dask_worker", address, "--host", "127.0.0.1",
         "--nworkers", "1", "--nthreads", "1", "--no-dashboard"],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )  # fmt: skip
    try:
        monkeypatch.setenv(SCHEDULER_ENV, address)
        with dask_client({"workers": 4}) as client:
            client.wait_for_workers(1, timeout=60)
            assert client.scheduler.address == address
            assert total_on(client) == sum(range(1000))
            assert client.cluster is None  # nothing started here: the cluster runs elsewhere
    finally:
        for process in (worker, scheduler):
            process.terminate()
        deadline = time.monotonic() + 30
        for process in (worker, scheduler):
            process.wait(timeout=max(1, deadline - time.monotonic()))


def test_process_workers_listen_on_loopback_only(monkeypatch):
    monkeypatch.delenv(SCHEDULER_ENV, raising=False)
    with dask_client({"workers": 2, "processes": True, "memory_limit": "1GiB"}) as client:
        workers = client.scheduler_info()["workers"]
        assert len(workers) == 2
        assert all(address.startswith("tcp://127.0.0.1:") for address in workers)
        assert total_on(client) == sum(range(1000))
