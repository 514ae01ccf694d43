"""The dashboard's static files under `/ui/`, and `/` sending a browser there."""

from pathlib import Path

from fastapi import APIRouter
from fastapi.responses import RedirectResponse
from fastapi.staticfiles import StaticFiles
from starlette.responses import Response
from starlette.types import Scope

STATIC = Path(__file__).parent / "static"
MOUNT = "/ui"

# The pages run on an intranet without internet: the browser itself is told to load nothing
# from another origin. Inline styles stay allowed because ECharts positions its tooltips with them.
CONTENT_SECURITY_POLICY = ("default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline';"
                           " img-src 'self' data: blob:; font-src 'self'; connect-src 'self';"
                           " object-src 'none'; base-uri 'self'; form-action 'self'; frame-ancestors 'none'")


class DashboardFiles(StaticFiles):
    async def get_response(self, path: str, scope: Scope) -> Response:
        response = await super().get_response(path, scope)
        response.headers["Content-Security-Policy"] = CONTENT_SECURITY_POLICY
        response.headers["X-Content-Type-Options"] = "nosniff"
        response.headers["Cache-Control"] = "no-cache"  # revalidated with the ETag: a new release shows at once
        return response


router = APIRouter(include_in_schema=False)
router.mount(MOUNT, DashboardFiles(directory=STATIC, html=True), name="dashboard")


@router.get("/")
def to_dashboard() -> RedirectResponse:
    return RedirectResponse(f"{MOUNT}/", status_code=307)
