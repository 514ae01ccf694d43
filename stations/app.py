"""The FastAPI application and its lifespan: the one place the service is put together, the
API's routes and the dashboard's included."""

import asyncio
from collections.abc import AsyncIterator
from contextlib import AsyncExitStack, asynccontextmanager

from fastapi import FastAPI, Request
from fastapi.concurrency import run_in_threadpool

from api import audit, events, exports, plans, problems, records, reports
from api.auth import Tokens
from api.limits import BodySizeLimit
from projections.connections import ServerPools
from projections.progress import Progress
from projections.runner import run_worker
from projections.worker import lags
from stations.bootstrap import bootstrap, tune_garbage_collection
from stations.database import database
from stations.settings import Settings, get_settings
from tenants.event_store import server_label
from web import routes as dashboard
from writes.write_queue import WriteQueue


def create_app(settings: Settings | None = None) -> FastAPI:
    settings = settings or get_settings()

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        async with AsyncExitStack() as stack:
            url = stack.enter_context(database(settings.database_url, settings.data_dir))
            runtime = await run_in_threadpool(bootstrap, settings, url)
            stack.callback(runtime.close)
            app.state.runtime = runtime
            app.state.writes = WriteQueue()
            pools = ServerPools(url, runtime.tenants.server_of, min_size=1, max_size=settings.read_pool_size,
                                statement_timeout=settings.statement_timeout)
            stack.push_async_callback(pools.close)
            servers = list(runtime.tenants.servers())
            await pools.of_server(None)  # the others open on their first read
            app.state.read_pools = pools
            app.state.read_pool = pools.home
            app.state.progress = Progress(pools, settings.min_position_timeout)
            await app.state.progress.start(servers)
            stack.push_async_callback(app.state.progress.stop)
            app.state.background = []
            if settings.run_projections:
                for server in servers:
                    app.state.background += await stack.enter_async_context(run_worker(
                        pools.url(server), runtime.signing_key, pool_size=settings.projection_pool_size,
                        snapshot_every=settings.snapshot_every, label=server_label(server)))
            tune_garbage_collection()
            yield

    app = FastAPI(
        title="民政服务站报表服务 / Civil-affairs service stations",
        version="1.0.0",
        summary="镇(街道)民政服务站的事件溯源、多租户报表服务 / Event-sourced, multi-tenant reporting "
                "for town civil-affairs service stations",
        lifespan=lifespan,
        # Off unless asked for: FastAPI otherwise looks for configured providers on every
        # request, a twentieth of a one-record write's CPU (bench/README section 21).
        telemetry=None if settings.telemetry else {"tracing": False, "metrics": False, "logs": False},
    )
    app.state.tokens = Tokens(settings.jwt_secret.get_secret_value(), settings.token_hours)
    problems.install(app, records.BODY_MODELS)
    app.add_middleware(BodySizeLimit, max_bytes=settings.max_body_bytes)
    app.include_router(records.router)
    app.include_router(events.router)
    app.include_router(exports.router)  # before reports, whose {period} would take `2025H1.xlsx`
    app.include_router(reports.router)
    app.include_router(audit.router)
    app.include_router(plans.router)
    app.include_router(dashboard.router(development=settings.environment == "development"))

    @app.get("/healthz", tags=["service 服务"], summary="存活检查 / Liveness: the process answers")
    def healthz() -> dict[str, str]:
        return {"status": "ok"}

    @app.get("/readyz", tags=["service 服务"], summary="就绪检查 / Readiness: the database answers and the"
                                                       " background work runs")
    async def readyz(request: Request) -> dict[str, str]:
        try:
            async with asyncio.timeout(2):
                behind = {}
                for server, stores in request.app.state.runtime.tenants.servers().items():
                    async with (await request.app.state.read_pools.of_server(server)).acquire() as conn:
                        behind |= {store: lag for store, lag in (await lags(conn, stores)).items()
                                   if lag > settings.readiness_max_lag}
        except TimeoutError as exc:
            raise problems.ApiProblem(503, "unavailable", "数据库暂不可用 / Database unavailable",
                                      "数据库两秒内未响应 / the database did not answer within 2 s",
                                      headers={"Retry-After": str(problems.RETRY_AFTER_SECONDS)}) from exc
        stopped = [task.get_name() for task in request.app.state.background if task.done()]
        if stopped:
            raise problems.ApiProblem(503, "not-ready", "未就绪 / Not ready",
                                      f"后台任务已停止 / background work stopped: {', '.join(stopped)}",
                                      headers={"Retry-After": str(problems.RETRY_AFTER_SECONDS)})
        if behind:  # whoever projects (this process or `stations project`), reads would be stale
            raise problems.ApiProblem(503, "not-ready", "未就绪 / Not ready",
                                      f"报表落后于日志 / projections behind the logs: {behind}",
                                      headers={"Retry-After": str(problems.RETRY_AFTER_SECONDS)})
        return {"status": "ready"}

    return app
