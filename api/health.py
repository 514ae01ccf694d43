"""`/healthz` and `/readyz`. Why the service is not ready (which districts' reports lag, which
background task stopped) is told to an authenticated city or admin caller only; anyone else
learns ready or not."""

from fastapi import APIRouter, Request

from api import deps
from api.problems import ApiProblem
from service import health
from service.callers import Role

TOLD_WHY = (Role.city, Role.admin)


def router(max_lag: int) -> APIRouter:
    """The two routes, ready while every projection is within `max_lag` events of its log."""
    routes = APIRouter(tags=["service 服务"])

    @routes.get("/healthz", summary="存活检查 / Liveness: the process answers")
    def healthz() -> dict[str, str]:
        return {"status": "ok"}

    @routes.get("/readyz", summary="就绪检查 / Readiness: the database answers and the background work runs"
                                   " (why not, to a city or admin token only)")
    async def readyz(request: Request, credentials: deps.Credentials) -> dict[str, str]:
        try:
            await health.check_ready(request.app.state.runtime, request.app.state.background, max_lag)
        except (health.NotReady, health.Unavailable):
            if _told_why(request, credentials):
                raise
            raise health.NotReady("未就绪", "not ready") from None
        return {"status": "ready"}

    return routes


def _told_why(request: Request, credentials: deps.Credentials) -> bool:
    if credentials is None:
        return False
    try:
        return deps.authenticate(request, credentials).role in TOLD_WHY
    except ApiProblem:  # a probe with a bad token is a probe without one
        return False
