"""Every route of the dashboard, for `api.app` to include in one line."""

from fastapi import APIRouter

from stations.settings import Settings
from web import dev_signin, divisions, site, vocabulary


def router(settings: Settings) -> APIRouter:
    routes = APIRouter()
    routes.include_router(site.router)
    routes.include_router(vocabulary.router)
    routes.include_router(divisions.router)
    if settings.environment == "development":
        routes.include_router(dev_signin.router)
    return routes
