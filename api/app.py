"""The FastAPI application and its lifespan: the one place the service is put together."""

from collections.abc import AsyncIterator
from contextlib import AsyncExitStack, asynccontextmanager

import asyncpg
from fastapi import FastAPI
from fastapi.concurrency import run_in_threadpool

from api import events, problems, records
from stations.bootstrap import bootstrap
from stations.database import database
from stations.settings import Settings, get_settings


def create_app(settings: Settings | None = None) -> FastAPI:
    settings = settings or get_settings()

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        async with AsyncExitStack() as stack:
            url = stack.enter_context(database(settings.database_url, settings.data_dir))
            runtime = await run_in_threadpool(bootstrap, settings, url)
            stack.callback(runtime.close)
            app.state.runtime = runtime
            app.state.read_pool = await asyncpg.create_pool(url, min_size=1, max_size=settings.read_pool_size)
            stack.push_async_callback(app.state.read_pool.close)
            yield

    app = FastAPI(
        title="民政服务站报表服务 / Civil-affairs service stations",
        version="1.0.0",
        summary="镇(街道)民政服务站的事件溯源、多租户报表服务 / Event-sourced, multi-tenant reporting "
                "for town civil-affairs service stations",
        lifespan=lifespan,
    )
    problems.install(app)
    app.include_router(records.router)
    app.include_router(events.router)

    @app.get("/healthz", tags=["service 服务"], summary="存活检查 / Liveness")
    def healthz() -> dict[str, str]:
        return {"status": "ok"}

    return app
