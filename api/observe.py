"""Each HTTP request given its id, counted and timed (`api.metrics`) and logged in one line.

The id is the caller's `X-Request-ID` when safe to keep (`deps.request_id`), else a new one: put
in the request's headers, so the events the request records carry the id its log line names.
It is not sent back: two refusals must be the same bytes (a foreign district's and an unknown
one's). Lines logged while the request is answered carry it too (`REQUEST_ID`)."""

import logging
import time
from contextvars import ContextVar

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from api import deps
from api.metrics import DURATION, REQUESTS, route_of

log = logging.getLogger("stations.requests")
REQUEST_ID: ContextVar[str | None] = ContextVar("request_id", default=None)
HEADER = b"x-request-id"


class ObserveRequests:
    def __init__(self, app: ASGIApp):
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        started = time.perf_counter()
        given = dict(scope["headers"]).get(HEADER)
        request_id = await deps.request_id(given.decode("latin-1") if given else None)
        scope["headers"] = [*((k, v) for k, v in scope["headers"] if k != HEADER), (HEADER, request_id.encode())]
        status = 500  # unless an answer starts: the app raised
        token = REQUEST_ID.set(request_id)

        async def noting_status(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
            await send(message)

        try:
            await self.app(scope, receive, noting_status)
        finally:
            seconds = time.perf_counter() - started
            route = route_of(scope)
            REQUESTS.labels(route, scope["method"], str(status)).inc()
            DURATION.labels(route).observe(seconds)
            district = scope.get("path_params", {}).get("district")
            log.info("%s %s %s %.1f ms", scope["method"], route, status, seconds * 1000,
                     extra={"request_id": request_id, "district": district, "route": route, "method": scope["method"],
                            "status": status, "duration_ms": round(seconds * 1000, 1)})
            REQUEST_ID.reset(token)
