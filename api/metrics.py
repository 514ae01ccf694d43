"""`GET /metrics` in Prometheus's text format, and the HTTP figures it shows.

Each process counts its own requests and write queue; `stations serve --workers N` (N > 1) runs
the API processes in prometheus_client's multiprocess mode (`PROMETHEUS_MULTIPROC_DIR`), so any
of them answers for all. The logs' figures (events appended, projection lag) are read from the
databases at each scrape: the same whichever process wrote the events or answers."""

import os

from fastapi import APIRouter, Request, Response
from prometheus_client import CONTENT_TYPE_LATEST, REGISTRY, CollectorRegistry, Counter, Histogram, \
    generate_latest, multiprocess
from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily, Metric
from prometheus_client.registry import Collector
from starlette.types import Scope

from service import metrics
from service.metrics import LogFigures

REQUESTS = Counter("stations_http_requests_total", "HTTP requests answered", ["route", "method", "status"])
DURATION = Histogram("stations_http_request_duration_seconds", "Time to answer an HTTP request", ["route"])
UNMATCHED = "unmatched"  # a path no route took: one label for them all, never the path itself


def route_of(scope: Scope) -> str:
    """The route's path template (`/v1/districts/{district}/records`), never the path asked."""
    route = scope.get("route")
    return getattr(route, "path", UNMATCHED)


class _LogFigures(Collector):
    def __init__(self, figures: list[LogFigures]):
        self.figures = figures

    def collect(self) -> list[Metric]:
        appended = CounterMetricFamily("stations_events_appended", "Events appended to the district's log",
                                       labels=["district"])
        lag_events = GaugeMetricFamily("stations_projection_lag_events",
                                       "Events of the district's log not yet projected", labels=["district"])
        lag_seconds = GaugeMetricFamily("stations_projection_lag_seconds",
                                        "How long the oldest event not yet projected has waited", labels=["district"])
        for f in self.figures:
            appended.add_metric([f.store], f.events)
            lag_events.add_metric([f.store], f.lag_events)
            lag_seconds.add_metric([f.store], f.lag_seconds)
        return [appended, lag_events, lag_seconds]


def process_registry() -> CollectorRegistry:
    """This process's metrics, or every API process's in multiprocess mode."""
    if "PROMETHEUS_MULTIPROC_DIR" not in os.environ:
        return REGISTRY
    registry = CollectorRegistry()
    multiprocess.MultiProcessCollector(registry)
    return registry


def router() -> APIRouter:
    routes = APIRouter(tags=["service 服务"])

    @routes.get("/metrics", summary="运行指标 / Metrics in Prometheus's text format (for the monitoring network"
                                    " only: see docs/operations.md)", response_class=Response)
    async def scrape(request: Request) -> Response:
        logs = CollectorRegistry()
        logs.register(_LogFigures(await metrics.log_figures(request.app.state.runtime)))
        return Response(generate_latest(process_registry()) + generate_latest(logs), media_type=CONTENT_TYPE_LATEST)

    return routes
