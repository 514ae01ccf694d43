"""Every route of the dashboard, for `stations.app` to include in one line."""

from fastapi import APIRouter

from web import dev_signin, divisions, periods, site, vocabulary


def router(*, development: bool) -> APIRouter:
    routes = APIRouter()
    routes.include_router(site.router)
    routes.include_router(vocabulary.router)
    routes.include_router(divisions.router)
    routes.include_router(periods.router)
    if development:
        routes.include_router(dev_signin.router)
    return routes
