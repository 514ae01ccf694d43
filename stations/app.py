"""The FastAPI application and its lifespan: the one place the service is put together, the
API's routes and the dashboard's included."""

from collections.abc import AsyncIterator
from contextlib import AsyncExitStack, asynccontextmanager

from fastapi import FastAPI
from fastapi.concurrency import run_in_threadpool

from api import audit, events, exports, health, imports, metrics, plans, problems, records, reports, states
from api.observe import ObserveRequests
from api.auth import Tokens
from api.guards import AuthenticateFirst
from api.headers import SecurityHeaders
from api.limits import BodySizeLimit
from projections.runner import run_worker
from service.uploads import UploadLimits
from kernel.collection import tune_garbage_collection
from stations.bootstrap import bootstrap
from stations.database import database
from stations.keys import require_keys, signer
from stations.settings import Settings, get_settings
from tenants.event_store import server_label
from web import api_docs
from web import routes as dashboard


def create_app(settings: Settings | None = None) -> FastAPI:
    settings = settings or get_settings()

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        async with AsyncExitStack() as stack:
            require_keys(settings)
            url = stack.enter_context(database(settings.database_url, settings.data_dir))
            runtime = await run_in_threadpool(bootstrap, settings, url)
            stack.callback(runtime.close)
            await stack.enter_async_context(runtime.reading())  # another server's pool opens on its first read
            app.state.runtime = runtime
            app.state.background = []
            if settings.run_projections:  # and signs: `serve` leaves both to a process of their own
                signs = await run_in_threadpool(signer, settings, runtime.tenants, url)
                for server in runtime.tenants.servers():
                    app.state.background += await stack.enter_async_context(run_worker(
                        runtime.own_reads.url(server), signs, pool_size=settings.projection_pool_size,
                        snapshot_every=settings.snapshot_every, batch_size=settings.projection_batch_size,
                        label=server_label(server)))
            tune_garbage_collection()
            yield

    app = FastAPI(
        title="民政服务站报表服务 / Civil-affairs service stations",
        version="1.0.0",
        summary="镇(街道)民政服务站的事件溯源、多租户报表服务 / Event-sourced, multi-tenant reporting "
                "for town civil-affairs service stations",
        lifespan=lifespan,
        docs_url=None, redoc_url=None,  # FastAPI's pages load from a CDN: `web.api_docs` serves its own
        # Off unless asked for: FastAPI otherwise looks for configured providers on every request.
        telemetry=None if settings.telemetry else {"tracing": False, "metrics": False, "logs": False},
    )
    app.state.tokens = Tokens(settings.jwt_secret.get_secret_value(), settings.token_hours,
                              settings.token_issuer, settings.token_audience, settings.revoked_token_ids)
    problems.install(app, records.BODY_MODELS)
    app.state.upload_limits = UploadLimits(settings.max_upload_bytes, settings.max_upload_rows)
    app.add_middleware(BodySizeLimit, max_bytes=settings.max_body_bytes, upload_bytes=settings.max_upload_bytes)
    app.add_middleware(AuthenticateFirst)  # added later runs first: the token, then the body's size
    app.add_middleware(SecurityHeaders)
    app.add_middleware(ObserveRequests)  # outermost: every answer counted and logged, a refused one too
    app.include_router(records.router)
    app.include_router(imports.router)
    app.include_router(events.router)
    app.include_router(exports.router)  # before reports, whose {period} would take `2025H1.xlsx`
    app.include_router(reports.router)
    app.include_router(audit.router)
    app.include_router(plans.router)
    app.include_router(states.router)
    app.include_router(dashboard.router(development=settings.environment == "development"))
    app.include_router(health.router(settings.readiness_max_lag))
    app.include_router(metrics.router())
    app.include_router(api_docs.router(app.title, app.openapi_url))

    return app
