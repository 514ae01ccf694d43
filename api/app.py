"""The FastAPI application and its lifespan: the one place the service is put together."""

import asyncio
import logging
from collections.abc import AsyncIterator
from contextlib import AsyncExitStack, asynccontextmanager

from fastapi import FastAPI
from fastapi.concurrency import run_in_threadpool

from api import audit, events, problems, records, reports
from api.limits import BodySizeLimit
from audit import checkpoints
from audit.signing import SigningKey
from projections import connections
from projections.progress import Progress
from projections.worker import ProjectionWorker
from stations.bootstrap import bootstrap
from stations.database import database
from stations.settings import Settings, get_settings

log = logging.getLogger(__name__)


def create_app(settings: Settings | None = None) -> FastAPI:
    settings = settings or get_settings()

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        async with AsyncExitStack() as stack:
            url = stack.enter_context(database(settings.database_url, settings.data_dir))
            runtime = await run_in_threadpool(bootstrap, settings, url)
            stack.callback(runtime.close)
            app.state.runtime = runtime
            app.state.read_pool = await connections.create_pool(url, min_size=1, max_size=settings.read_pool_size)
            stack.push_async_callback(app.state.read_pool.close)
            app.state.progress = Progress(app.state.read_pool, settings.min_position_timeout)
            await app.state.progress.start(url)
            stack.push_async_callback(app.state.progress.stop)
            if settings.run_projections:
                await stack.enter_async_context(run_worker(settings, url, runtime.signing_key))
            yield

    app = FastAPI(
        title="民政服务站报表服务 / Civil-affairs service stations",
        version="1.0.0",
        summary="镇(街道)民政服务站的事件溯源、多租户报表服务 / Event-sourced, multi-tenant reporting "
                "for town civil-affairs service stations",
        lifespan=lifespan,
    )
    problems.install(app)
    app.add_middleware(BodySizeLimit, max_bytes=settings.max_body_bytes)
    app.include_router(records.router)
    app.include_router(events.router)
    app.include_router(reports.router)
    app.include_router(audit.router)

    @app.get("/healthz", tags=["service 服务"], summary="存活检查 / Liveness")
    def healthz() -> dict[str, str]:
        return {"status": "ok"}

    return app


def _report_failure(task: asyncio.Task) -> None:
    if not task.cancelled() and task.exception() is not None:
        log.error("the projection worker stopped", exc_info=task.exception())


@asynccontextmanager
async def run_worker(settings: Settings, url: str, key: SigningKey) -> AsyncIterator[ProjectionWorker]:
    """The projection worker and the daily checkpoints, as background tasks of this process."""
    pool = await connections.create_pool(url, min_size=1, max_size=settings.projection_pool_size)
    worker = ProjectionWorker(pool)
    stopping = asyncio.Event()
    tasks = [asyncio.create_task(worker.run(url, stopping), name="projection-worker"),
             asyncio.create_task(checkpoints.keep_daily(pool, key, stopping), name="daily-checkpoints")]
    for task in tasks:
        task.add_done_callback(_report_failure)
    try:
        yield worker
    finally:
        stopping.set()
        await asyncio.gather(*tasks, return_exceptions=True)
        await pool.close()
