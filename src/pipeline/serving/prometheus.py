"""`GET /metrics`: what the server did, in Prometheus' text format.

With several worker processes each one writes its numbers to files in
$PROMETHEUS_MULTIPROC_DIR (prometheus-client's multiprocess mode) and a scrape, whichever
worker answers it, adds them up. The variable must be set before the workers start:
`make serve` and the gunicorn config (serving/gunicorn_conf.py) do it.
"""

from __future__ import annotations

import time
from collections.abc import Iterable, Sequence

from prometheus_client import (
    CONTENT_TYPE_LATEST,
    CollectorRegistry,
    Counter,
    Gauge,
    Histogram,
    generate_latest,
)
from prometheus_client.multiprocess import MultiProcessCollector
from starlette.responses import Response
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from pipeline.serving.workers import shared_dir

# A classifier's score is a probability: twenty equal bins.
PROBABILITY_BUCKETS = tuple(round(0.05 * step, 2) for step in range(1, 21))


class ServerMetrics:
    """The server's metrics, in a registry of their own (several apps can live in one
    process, as in the tests); in multiprocess mode their values go to the shared files."""

    def __init__(self, score_buckets: Sequence[float] | None):
        self.registry = CollectorRegistry()
        own = {"registry": self.registry}
        self.requests = Counter(
            "pipeline_requests", "HTTP requests answered", ["route", "method", "status"], **own
        )
        self.latency = Histogram(
            "pipeline_request_duration_seconds", "Time to answer a request", ["route"], **own
        )
        self.rows = Counter("pipeline_rows_scored", "Rows scored", ["model_version"], **own)
        self.scores = Histogram(
            "pipeline_score",
            "Scores served: the positive class's probability, or the predicted value",
            ["model_version"],
            buckets=score_buckets or Histogram.DEFAULT_BUCKETS,
            **own,
        )
        # 1 for each version a live worker serves; "livemax": a version any worker still
        # serves shows 1, and one no worker serves any more shows 0.
        self.model = Gauge(
            "pipeline_model_info",
            "The model versions served (role: served or candidate)",
            ["role", "version"],
            multiprocess_mode="livemax",
            **own,
        )
        self.log_bytes = Gauge(
            "pipeline_request_log_bytes",
            "Size of the current request log file",
            multiprocess_mode="livemostrecent",
            **own,
        )
        self.log_rotations = Counter(
            "pipeline_request_log_rotations", "Request log files rotated", **own
        )
        self.reloads = Counter("pipeline_reloads", "Model reloads, by outcome", ["outcome"], **own)

    def serving(self, versions: dict[str, str | None], before: dict[str, str | None]) -> None:
        """Record the versions now served (and zero the ones served before)."""
        for role, version in before.items():
            if version and version != versions.get(role):
                self.model.labels(role=role, version=version).set(0)
        for role, version in versions.items():
            if version:
                self.model.labels(role=role, version=version).set(1)

    def scored(self, version: str, scores: Iterable[float]) -> None:
        scores = list(scores)
        self.rows.labels(model_version=version).inc(len(scores))
        histogram = self.scores.labels(model_version=version)
        for score in scores:
            histogram.observe(score)

    def logged(self, appended) -> None:
        """After a request log append (called under its lock: the gauge keeps the last size)."""
        self.log_bytes.set(appended.size)
        if appended.rotated:
            self.log_rotations.inc()

    def page(self) -> Response:
        """The text a scrape reads: every worker's numbers when they are shared."""
        if shared_dir():
            registry = CollectorRegistry()
            MultiProcessCollector(registry)
        else:
            registry = self.registry
        return Response(generate_latest(registry), media_type=CONTENT_TYPE_LATEST)


class CountRequests:
    """Count and time every request by route and status (plain ASGI, like LimitBody).

    Routes are labelled by their path when the app has one, else "other", so a scan of
    random paths cannot grow the number of series without bound.
    """

    def __init__(self, app: ASGIApp, metrics: ServerMetrics, routes: frozenset[str]):
        self.app, self.metrics, self.routes = app, metrics, routes

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        status = 500  # what the client sees if the app fails before answering
        started = time.perf_counter()

        async def send_and_note(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
            await send(message)

        try:
            await self.app(scope, receive, send_and_note)
        finally:
            route = scope["path"] if scope["path"] in self.routes else "other"
            self.metrics.latency.labels(route=route).observe(time.perf_counter() - started)
            self.metrics.requests.labels(
                route=route, method=scope["method"], status=str(status)
            ).inc()
