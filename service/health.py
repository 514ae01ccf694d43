"""Whether the service is ready: its databases answer, its background work runs, and the reports
are not too far behind the logs (whoever projects them: this process or `stations project`)."""

import asyncio
from collections.abc import Sequence

from projections.worker import lags
from service.errors import ServiceError
from service.runtime import Runtime

ANSWER_WITHIN_SECONDS = 2


class NotReady(ServiceError):
    """Up, but not to be sent requests yet: retry later."""


class Unavailable(ServiceError):
    """A database does not answer."""


async def check_ready(runtime: Runtime, background: Sequence[asyncio.Task], max_lag: int) -> None:
    """Raise `Unavailable` or `NotReady`, saying why, unless ready."""
    try:
        async with asyncio.timeout(ANSWER_WITHIN_SECONDS):
            behind = {}
            for server, stores in runtime.tenants.servers().items():
                async with (await runtime.own_reads.of_server(server)).acquire() as conn:
                    behind |= {store: lag for store, lag in (await lags(conn, stores)).items() if lag > max_lag}
    except TimeoutError as exc:
        raise Unavailable("数据库两秒内未响应", "the database did not answer within 2 s") from exc
    stopped = [task.get_name() for task in background if task.done()]
    if stopped:
        raise NotReady("后台任务已停止", f"background work stopped: {', '.join(stopped)}")
    if behind:
        raise NotReady("报表落后于日志", f"projections behind the logs: {behind}")
