"""`/docs` and `/redoc`, the OpenAPI document's pages, with their scripts and styles served by
the service itself (those of the `fastapi-offline` package): on an intranet without internet
they load, and the browser fetches nothing from a CDN."""

from importlib.resources import files

from fastapi import APIRouter, Request
from fastapi.openapi.docs import get_redoc_html, get_swagger_ui_html
from fastapi.responses import HTMLResponse
from fastapi.staticfiles import StaticFiles

ASSETS = "/docs-assets"
# The pages start their script inline; ReDoc runs a worker made from a blob.
CONTENT_SECURITY_POLICY = ("default-src 'self'; script-src 'self' 'unsafe-inline'; style-src 'self' 'unsafe-inline';"
                           " img-src 'self' data:; worker-src blob:; connect-src 'self'; object-src 'none';"
                           " base-uri 'self'; frame-ancestors 'none'")


def router(title: str, openapi_url: str) -> APIRouter:
    routes = APIRouter(include_in_schema=False)
    routes.mount(ASSETS, StaticFiles(directory=str(files("fastapi_offline") / "static")), name="docs-assets")

    @routes.get("/docs")
    def swagger(request: Request) -> HTMLResponse:
        root = request.scope.get("root_path", "")
        page = get_swagger_ui_html(openapi_url=f"{root}{openapi_url}", title=f"{title} - Swagger UI",
                                   swagger_js_url=f"{root}{ASSETS}/swagger-ui-bundle.js",
                                   swagger_css_url=f"{root}{ASSETS}/swagger-ui.css",
                                   swagger_favicon_url=f"{root}{ASSETS}/favicon.png")
        return _own_policy(page)

    @routes.get("/redoc")
    def redoc(request: Request) -> HTMLResponse:
        root = request.scope.get("root_path", "")
        page = get_redoc_html(openapi_url=f"{root}{openapi_url}", title=f"{title} - ReDoc",
                              redoc_js_url=f"{root}{ASSETS}/redoc.standalone.js",
                              redoc_favicon_url=f"{root}{ASSETS}/favicon.png", with_google_fonts=False)
        return _own_policy(page)

    return routes


def _own_policy(page: HTMLResponse) -> HTMLResponse:
    page.headers["Content-Security-Policy"] = CONTENT_SECURITY_POLICY
    return page
