"""The figures `/metrics` reads from the databases when scraped: each log's length and lag."""

from projections.log_figures import LogFigures
from service.runtime import Runtime


async def log_figures(runtime: Runtime) -> list[LogFigures]:
    figures: list[LogFigures] = []
    for server, stores in runtime.tenants.servers().items():
        async with (await runtime.own_reads.of_server(server)).acquire() as conn:
            figures += await runtime.log_counter.figures(conn, stores, runtime.now())
    return figures
